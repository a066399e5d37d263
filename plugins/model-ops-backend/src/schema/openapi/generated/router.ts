// This file is generated from src/schema/openapi.yaml by scripts/generate-openapi.mjs.
// Do not edit it by hand: edit the YAML and run `yarn workspace @model-ops/plugin-model-ops-backend generate:openapi`.
/* eslint-disable */
import { createValidatedOpenApiRouter } from '@backstage/backend-openapi-utils';

export const spec = {
  "openapi": "3.1.0",
  "info": {
    "title": "model-ops",
    "version": "1",
    "description": "The Model Ops backend plugin: models declared in the catalog, their deployments, environments, metrics, alerts and capacity. Every route needs a Backstage credential.",
    "license": {
      "name": "Apache-2.0",
      "url": "http://www.apache.org/licenses/LICENSE-2.0.html"
    },
    "contact": {}
  },
  "servers": [
    {
      "url": "/"
    }
  ],
  "components": {
    "examples": {},
    "headers": {},
    "parameters": {
      "kind": {
        "name": "kind",
        "in": "path",
        "required": true,
        "description": "The entity's kind, e.g. component.",
        "schema": {
          "type": "string",
          "minLength": 1
        }
      },
      "namespace": {
        "name": "namespace",
        "in": "path",
        "required": true,
        "description": "The entity's namespace, e.g. default.",
        "schema": {
          "type": "string",
          "minLength": 1
        }
      },
      "name": {
        "name": "name",
        "in": "path",
        "required": true,
        "description": "The entity's name.",
        "schema": {
          "type": "string",
          "minLength": 1
        }
      }
    },
    "requestBodies": {},
    "responses": {
      "ErrorResponse": {
        "description": "An error in Backstage's shape.",
        "content": {
          "application/json": {
            "schema": {
              "$ref": "#/components/schemas/Error"
            }
          }
        }
      }
    },
    "schemas": {
      "Error": {
        "type": "object",
        "properties": {
          "error": {
            "type": "object",
            "properties": {
              "name": {
                "type": "string"
              },
              "message": {
                "type": "string"
              }
            },
            "required": [
              "name",
              "message"
            ]
          },
          "request": {
            "type": "object",
            "properties": {
              "method": {
                "type": "string"
              },
              "url": {
                "type": "string"
              }
            }
          },
          "response": {
            "type": "object",
            "properties": {
              "statusCode": {
                "type": "number"
              }
            }
          }
        },
        "required": [
          "error",
          "response"
        ]
      },
      "ModelSpec": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "entityRef": {
            "type": "string"
          },
          "modelId": {
            "type": "string"
          },
          "runtime": {
            "type": "string"
          },
          "strategy": {
            "type": "string",
            "enum": [
              "blue-green",
              "canary",
              "recreate"
            ]
          },
          "metricsSource": {
            "type": "string"
          },
          "rules": {
            "type": "string"
          },
          "alertRoute": {
            "type": "string"
          },
          "runbook": {
            "type": "string"
          },
          "costModel": {
            "type": "string"
          }
        },
        "required": [
          "entityRef",
          "modelId",
          "runtime",
          "strategy",
          "metricsSource",
          "rules",
          "alertRoute",
          "costModel"
        ]
      },
      "ModelSpecProblem": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "annotation": {
            "type": "string"
          },
          "value": {
            "type": "string"
          },
          "message": {
            "type": "string"
          },
          "allowed": {
            "type": "array",
            "items": {
              "type": "string"
            }
          }
        },
        "required": [
          "annotation",
          "value",
          "message"
        ]
      },
      "ModelStatus": {
        "type": "string",
        "enum": [
          "unknown",
          "healthy",
          "warning",
          "critical"
        ]
      },
      "SlotName": {
        "type": "string",
        "enum": [
          "staging",
          "blue",
          "green"
        ]
      },
      "ModelSummary": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "entityRef": {
            "type": "string"
          },
          "kind": {
            "type": "string"
          },
          "namespace": {
            "type": "string"
          },
          "name": {
            "type": "string"
          },
          "title": {
            "type": "string"
          },
          "description": {
            "type": "string"
          },
          "owner": {
            "type": "string"
          },
          "spec": {
            "$ref": "#/components/schemas/ModelSpec"
          },
          "problems": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/ModelSpecProblem"
            }
          },
          "status": {
            "$ref": "#/components/schemas/ModelStatus"
          },
          "productionVersion": {
            "type": "string"
          },
          "activeSlot": {
            "$ref": "#/components/schemas/SlotName"
          },
          "openAlerts": {
            "type": "integer"
          },
          "updatedAt": {
            "type": "string",
            "format": "date-time"
          }
        },
        "required": [
          "entityRef",
          "kind",
          "namespace",
          "name",
          "problems",
          "status"
        ]
      },
      "SlotState": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "slot": {
            "$ref": "#/components/schemas/SlotName"
          },
          "version": {
            "type": "string"
          },
          "endpoint": {
            "type": "string"
          },
          "state": {
            "type": "string",
            "enum": [
              "empty",
              "starting",
              "running",
              "stopped",
              "failed"
            ]
          },
          "trafficWeight": {
            "type": "integer",
            "minimum": 0,
            "maximum": 100
          },
          "active": {
            "type": "boolean"
          },
          "updatedAt": {
            "type": "string",
            "format": "date-time"
          }
        },
        "required": [
          "slot",
          "state",
          "trafficWeight",
          "active",
          "updatedAt"
        ]
      },
      "ModelVersion": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "version": {
            "type": "string"
          },
          "artifactUri": {
            "type": "string"
          },
          "sha256": {
            "type": "string"
          },
          "registeredAt": {
            "type": "string",
            "format": "date-time"
          },
          "lastDeployedAt": {
            "type": "string",
            "format": "date-time"
          },
          "status": {
            "type": "string",
            "enum": [
              "registered",
              "deployed",
              "retired",
              "failed"
            ]
          }
        },
        "required": [
          "version",
          "artifactUri",
          "registeredAt",
          "status"
        ]
      },
      "ModelDetails": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "entityRef": {
            "type": "string"
          },
          "kind": {
            "type": "string"
          },
          "namespace": {
            "type": "string"
          },
          "name": {
            "type": "string"
          },
          "title": {
            "type": "string"
          },
          "description": {
            "type": "string"
          },
          "owner": {
            "type": "string"
          },
          "spec": {
            "$ref": "#/components/schemas/ModelSpec"
          },
          "problems": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/ModelSpecProblem"
            }
          },
          "status": {
            "$ref": "#/components/schemas/ModelStatus"
          },
          "productionVersion": {
            "type": "string"
          },
          "activeSlot": {
            "$ref": "#/components/schemas/SlotName"
          },
          "openAlerts": {
            "type": "integer"
          },
          "updatedAt": {
            "type": "string",
            "format": "date-time"
          },
          "slots": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/SlotState"
            }
          },
          "versions": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/ModelVersion"
            }
          },
          "strategy": {
            "type": "string",
            "enum": [
              "blue-green",
              "canary",
              "recreate"
            ]
          }
        },
        "required": [
          "entityRef",
          "kind",
          "namespace",
          "name",
          "problems",
          "status",
          "slots",
          "versions"
        ]
      }
    },
    "securitySchemes": {
      "JWT": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT"
      }
    }
  },
  "security": [
    {
      "JWT": []
    }
  ],
  "paths": {
    "/models": {
      "get": {
        "operationId": "ListModels",
        "description": "Every model in the catalog that the caller may see, with its stored state.",
        "responses": {
          "200": {
            "description": "The models, ordered by entity ref.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "properties": {
                    "items": {
                      "type": "array",
                      "items": {
                        "$ref": "#/components/schemas/ModelSummary"
                      }
                    }
                  },
                  "required": [
                    "items"
                  ]
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/ErrorResponse"
          },
          "default": {
            "$ref": "#/components/responses/ErrorResponse"
          }
        }
      }
    },
    "/entities/{kind}/{namespace}/{name}": {
      "get": {
        "operationId": "GetModel",
        "description": "One model with its slots and versions.",
        "parameters": [
          {
            "$ref": "#/components/parameters/kind"
          },
          {
            "$ref": "#/components/parameters/namespace"
          },
          {
            "$ref": "#/components/parameters/name"
          }
        ],
        "responses": {
          "200": {
            "description": "The model.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/ModelDetails"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/ErrorResponse"
          },
          "404": {
            "$ref": "#/components/responses/ErrorResponse"
          },
          "default": {
            "$ref": "#/components/responses/ErrorResponse"
          }
        }
      }
    }
  }
} as const;

export const createOpenApiRouter = async (
  options?: Parameters<typeof createValidatedOpenApiRouter>['1'],
) => createValidatedOpenApiRouter<typeof spec>(spec, options);
