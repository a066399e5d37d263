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
          "testing",
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
          "productionEndpoint": {
            "type": "string"
          },
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
      },
      "RunStatus": {
        "type": "string",
        "enum": [
          "pending",
          "running",
          "succeeded",
          "failed",
          "rolled_back",
          "cancelled"
        ]
      },
      "StageName": {
        "type": "string",
        "enum": [
          "validation",
          "testing",
          "staging",
          "production"
        ]
      },
      "StageCheck": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "name": {
            "type": "string"
          },
          "ok": {
            "type": "boolean"
          },
          "detail": {
            "type": "string"
          },
          "at": {
            "type": "string",
            "format": "date-time"
          },
          "durationMs": {
            "type": "number"
          }
        },
        "required": [
          "name",
          "ok",
          "at"
        ]
      },
      "DeploymentStage": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "name": {
            "$ref": "#/components/schemas/StageName"
          },
          "status": {
            "type": "string",
            "enum": [
              "pending",
              "running",
              "succeeded",
              "failed",
              "skipped",
              "cancelled"
            ]
          },
          "startedAt": {
            "type": "string",
            "format": "date-time"
          },
          "finishedAt": {
            "type": "string",
            "format": "date-time"
          },
          "durationMs": {
            "type": "number"
          },
          "checks": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/StageCheck"
            }
          },
          "errors": {
            "type": "array",
            "items": {
              "type": "string"
            }
          },
          "metrics": {
            "type": "object",
            "additionalProperties": {
              "oneOf": [
                {
                  "type": "number"
                },
                {
                  "type": "string"
                }
              ]
            }
          }
        },
        "required": [
          "name",
          "status",
          "checks",
          "errors",
          "metrics"
        ]
      },
      "Artifact": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "uri": {
            "type": "string",
            "description": "file:// , file:<path relative to modelOps.artifacts.fileRoot>, or http(s):// location of the artifact directory."
          },
          "sha256": {
            "type": "string",
            "description": "sha256 of the artifact's manifest.json."
          }
        },
        "required": [
          "uri"
        ]
      },
      "DeploymentRun": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "id": {
            "type": "string"
          },
          "modelId": {
            "type": "string"
          },
          "entityRef": {
            "type": "string"
          },
          "kind": {
            "type": "string",
            "enum": [
              "deploy",
              "rollback"
            ]
          },
          "version": {
            "type": "string"
          },
          "artifact": {
            "$ref": "#/components/schemas/Artifact"
          },
          "config": {
            "type": "object"
          },
          "strategy": {
            "type": "string",
            "enum": [
              "blue-green",
              "canary",
              "recreate"
            ]
          },
          "runtime": {
            "type": "string"
          },
          "rules": {
            "type": "string"
          },
          "canary": {
            "$ref": "#/components/schemas/CanaryState"
          },
          "canaryCommand": {
            "type": "string",
            "enum": [
              "promote",
              "abort"
            ]
          },
          "status": {
            "$ref": "#/components/schemas/RunStatus"
          },
          "stage": {
            "$ref": "#/components/schemas/StageName"
          },
          "previousVersion": {
            "type": "string"
          },
          "error": {
            "type": "string"
          },
          "createdBy": {
            "type": "string"
          },
          "cancelRequested": {
            "type": "boolean"
          },
          "createdAt": {
            "type": "string",
            "format": "date-time"
          },
          "startedAt": {
            "type": "string",
            "format": "date-time"
          },
          "finishedAt": {
            "type": "string",
            "format": "date-time"
          },
          "stages": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/DeploymentStage"
            }
          }
        },
        "required": [
          "id",
          "modelId",
          "entityRef",
          "kind",
          "version",
          "artifact",
          "config",
          "strategy",
          "runtime",
          "rules",
          "status",
          "cancelRequested",
          "createdAt",
          "stages"
        ]
      },
      "AvailableVersion": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "version": {
            "type": "string"
          },
          "uri": {
            "type": "string"
          },
          "sha256": {
            "type": "string"
          },
          "summary": {
            "type": "string"
          }
        },
        "required": [
          "version",
          "uri"
        ]
      },
      "StageCheckList": {
        "type": "array",
        "items": {
          "$ref": "#/components/schemas/StageCheck"
        }
      },
      "SwitchRecord": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "id": {
            "type": "string"
          },
          "modelId": {
            "type": "string"
          },
          "kind": {
            "type": "string",
            "enum": [
              "switch",
              "rollback-switch",
              "deployment",
              "canary-promotion",
              "canary-abort"
            ]
          },
          "from": {
            "$ref": "#/components/schemas/SlotName"
          },
          "to": {
            "$ref": "#/components/schemas/SlotName"
          },
          "fromVersion": {
            "type": "string"
          },
          "toVersion": {
            "type": "string"
          },
          "requestedBy": {
            "type": "string"
          },
          "reason": {
            "type": "string"
          },
          "runId": {
            "type": "string"
          },
          "status": {
            "type": "string",
            "enum": [
              "in_progress",
              "succeeded",
              "failed",
              "rolled_back"
            ]
          },
          "error": {
            "type": "string"
          },
          "checks": {
            "$ref": "#/components/schemas/StageCheckList"
          },
          "startedAt": {
            "type": "string",
            "format": "date-time"
          },
          "finishedAt": {
            "type": "string",
            "format": "date-time"
          },
          "durationMs": {
            "type": "number"
          }
        },
        "required": [
          "id",
          "modelId",
          "kind",
          "to",
          "status",
          "checks",
          "startedAt"
        ]
      },
      "EnvironmentSlot": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "slot": {
            "type": "string",
            "enum": [
              "blue",
              "green"
            ]
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
            "type": "integer"
          },
          "active": {
            "type": "boolean"
          },
          "health": {
            "type": "string",
            "enum": [
              "healthy",
              "unhealthy",
              "starting",
              "absent"
            ]
          },
          "warmUntil": {
            "type": "string",
            "format": "date-time"
          }
        },
        "required": [
          "slot",
          "state",
          "trafficWeight",
          "active"
        ]
      },
      "CanaryState": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "runId": {
            "type": "string"
          },
          "version": {
            "type": "string"
          },
          "slot": {
            "type": "string",
            "enum": [
              "blue",
              "green"
            ]
          },
          "steps": {
            "type": "array",
            "items": {
              "type": "number"
            }
          },
          "step": {
            "type": "integer"
          },
          "weight": {
            "type": "number"
          },
          "status": {
            "type": "string",
            "enum": [
              "progressing",
              "paused",
              "promoted",
              "aborted"
            ]
          },
          "analyses": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/CanaryAnalysis"
            }
          }
        },
        "required": [
          "runId",
          "version",
          "slot",
          "steps",
          "step",
          "weight",
          "status",
          "analyses"
        ]
      },
      "CanaryFigures": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "requests": {
            "type": "number"
          },
          "errorRatePct": {
            "type": "number"
          },
          "p95Ms": {
            "type": "number"
          }
        },
        "required": [
          "requests",
          "errorRatePct",
          "p95Ms"
        ]
      },
      "CanaryAnalysis": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "step": {
            "type": "integer"
          },
          "weight": {
            "type": "number"
          },
          "at": {
            "type": "string",
            "format": "date-time"
          },
          "ok": {
            "type": "boolean"
          },
          "canary": {
            "$ref": "#/components/schemas/CanaryFigures"
          },
          "stable": {
            "$ref": "#/components/schemas/CanaryFigures"
          },
          "reasons": {
            "type": "array",
            "items": {
              "type": "string"
            }
          }
        },
        "required": [
          "step",
          "weight",
          "at",
          "ok",
          "canary",
          "stable",
          "reasons"
        ]
      },
      "MetricPoint": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "t": {
            "type": "string",
            "format": "date-time"
          },
          "value": {
            "type": "number"
          }
        },
        "required": [
          "t",
          "value"
        ]
      },
      "MetricSeries": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "metric": {
            "type": "string"
          },
          "unit": {
            "type": "string"
          },
          "points": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/MetricPoint"
            }
          }
        },
        "required": [
          "metric",
          "unit",
          "points"
        ]
      },
      "MetricStatus": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "metric": {
            "type": "string"
          },
          "unit": {
            "type": "string"
          },
          "value": {
            "type": "number"
          },
          "warning": {
            "type": "number"
          },
          "critical": {
            "type": "number"
          },
          "level": {
            "type": "string",
            "enum": [
              "ok",
              "warning",
              "critical",
              "unknown"
            ]
          },
          "trend": {
            "type": "string",
            "enum": [
              "rising",
              "falling",
              "stable"
            ]
          },
          "sparkline": {
            "type": "array",
            "items": {
              "$ref": "#/components/schemas/MetricPoint"
            }
          }
        },
        "required": [
          "metric",
          "unit",
          "level",
          "sparkline"
        ]
      },
      "AlertRecord": {
        "type": "object",
        "additionalProperties": false,
        "properties": {
          "id": {
            "type": "string"
          },
          "fingerprint": {
            "type": "string"
          },
          "modelId": {
            "type": "string"
          },
          "entityRef": {
            "type": "string"
          },
          "alertType": {
            "type": "string"
          },
          "metric": {
            "type": "string"
          },
          "slot": {
            "$ref": "#/components/schemas/SlotName"
          },
          "severity": {
            "type": "string",
            "enum": [
              "warning",
              "critical"
            ]
          },
          "state": {
            "type": "string",
            "enum": [
              "pending",
              "firing",
              "resolved"
            ]
          },
          "value": {
            "type": "number"
          },
          "threshold": {
            "type": "number"
          },
          "summary": {
            "type": "string"
          },
          "startsAt": {
            "type": "string",
            "format": "date-time"
          },
          "firingAt": {
            "type": "string",
            "format": "date-time"
          },
          "resolvedAt": {
            "type": "string",
            "format": "date-time"
          },
          "acknowledgedBy": {
            "type": "string"
          },
          "acknowledgedAt": {
            "type": "string",
            "format": "date-time"
          },
          "runbook": {
            "type": "string"
          }
        },
        "required": [
          "id",
          "fingerprint",
          "modelId",
          "entityRef",
          "alertType",
          "metric",
          "severity",
          "state",
          "value",
          "threshold",
          "summary",
          "startsAt"
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
    },
    "/deployments": {
      "post": {
        "operationId": "CreateDeployment",
        "description": "Starts a deployment run of a model version. Needs model-ops.deployment.create on the model's entity.",
        "requestBody": {
          "required": true,
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "properties": {
                  "entityRef": {
                    "type": "string"
                  },
                  "version": {
                    "type": "string"
                  },
                  "artifact": {
                    "type": "object",
                    "properties": {
                      "uri": {
                        "type": "string"
                      },
                      "sha256": {
                        "type": "string"
                      }
                    }
                  },
                  "config": {
                    "type": "object"
                  },
                  "strategy": {
                    "type": "string"
                  }
                }
              }
            }
          }
        },
        "responses": {
          "202": {
            "description": "The run, pending.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/DeploymentRun"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/ErrorResponse"
          },
          "401": {
            "$ref": "#/components/responses/ErrorResponse"
          },
          "403": {
            "$ref": "#/components/responses/ErrorResponse"
          },
          "404": {
            "$ref": "#/components/responses/ErrorResponse"
          },
          "409": {
            "$ref": "#/components/responses/ErrorResponse"
          },
          "default": {
            "$ref": "#/components/responses/ErrorResponse"
          }
        }
      }
    },
    "/deployments/{id}": {
      "get": {
        "operationId": "GetDeployment",
        "description": "A run with its stages.",
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "schema": {
              "type": "string"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The run.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/DeploymentRun"
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
    },
    "/deployments/{id}/cancel": {
      "post": {
        "operationId": "CancelDeployment",
        "description": "Asks an active run to stop at the next safe point. Needs model-ops.deployment.rollback.",
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "schema": {
              "type": "string"
            }
          }
        ],
        "responses": {
          "202": {
            "description": "The run, with cancelRequested set.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/DeploymentRun"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/ErrorResponse"
          },
          "403": {
            "$ref": "#/components/responses/ErrorResponse"
          },
          "404": {
            "$ref": "#/components/responses/ErrorResponse"
          },
          "409": {
            "$ref": "#/components/responses/ErrorResponse"
          },
          "default": {
            "$ref": "#/components/responses/ErrorResponse"
          }
        }
      }
    },
    "/deployments/{id}/promote": {
      "post": {
        "operationId": "PromoteCanary",
        "description": "Asks the worker of a canary in progress to switch all traffic to the canary now. Needs model-ops.environment.switch.",
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "schema": {
              "type": "string"
            }
          }
        ],
        "responses": {
          "202": {
            "description": "The run, with canaryCommand set.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/DeploymentRun"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/ErrorResponse"
          },
          "403": {
            "$ref": "#/components/responses/ErrorResponse"
          },
          "404": {
            "$ref": "#/components/responses/ErrorResponse"
          },
          "409": {
            "$ref": "#/components/responses/ErrorResponse"
          },
          "default": {
            "$ref": "#/components/responses/ErrorResponse"
          }
        }
      }
    },
    "/deployments/{id}/abort": {
      "post": {
        "operationId": "AbortCanary",
        "description": "Asks the worker of a canary in progress to return all traffic to the stable color. Needs model-ops.deployment.rollback.",
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "schema": {
              "type": "string"
            }
          }
        ],
        "responses": {
          "202": {
            "description": "The run, with canaryCommand set.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/DeploymentRun"
                }
              }
            }
          },
          "401": {
            "$ref": "#/components/responses/ErrorResponse"
          },
          "403": {
            "$ref": "#/components/responses/ErrorResponse"
          },
          "404": {
            "$ref": "#/components/responses/ErrorResponse"
          },
          "409": {
            "$ref": "#/components/responses/ErrorResponse"
          },
          "default": {
            "$ref": "#/components/responses/ErrorResponse"
          }
        }
      }
    },
    "/entities/{kind}/{namespace}/{name}/deployments": {
      "get": {
        "operationId": "ListDeployments",
        "description": "A model's runs, newest first.",
        "parameters": [
          {
            "$ref": "#/components/parameters/kind"
          },
          {
            "$ref": "#/components/parameters/namespace"
          },
          {
            "$ref": "#/components/parameters/name"
          },
          {
            "name": "limit",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string",
              "pattern": "^[0-9]+$"
            }
          },
          {
            "name": "cursor",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "A page of runs.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "additionalProperties": false,
                  "properties": {
                    "items": {
                      "type": "array",
                      "items": {
                        "$ref": "#/components/schemas/DeploymentRun"
                      }
                    },
                    "nextCursor": {
                      "type": "string"
                    }
                  },
                  "required": [
                    "items"
                  ]
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/ErrorResponse"
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
    },
    "/entities/{kind}/{namespace}/{name}/rollback": {
      "post": {
        "operationId": "RollbackModel",
        "description": "Starts a rollback run to an earlier successful version (the newest one when toVersion is absent). Needs model-ops.deployment.rollback.",
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
        "requestBody": {
          "required": false,
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "properties": {
                  "toVersion": {
                    "type": "string"
                  }
                }
              }
            }
          }
        },
        "responses": {
          "202": {
            "description": "The rollback run, pending.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/DeploymentRun"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/ErrorResponse"
          },
          "401": {
            "$ref": "#/components/responses/ErrorResponse"
          },
          "403": {
            "$ref": "#/components/responses/ErrorResponse"
          },
          "404": {
            "$ref": "#/components/responses/ErrorResponse"
          },
          "409": {
            "$ref": "#/components/responses/ErrorResponse"
          },
          "default": {
            "$ref": "#/components/responses/ErrorResponse"
          }
        }
      }
    },
    "/entities/{kind}/{namespace}/{name}/slots/{slot}/logs": {
      "get": {
        "operationId": "GetSlotLogs",
        "description": "The last lines of a slot's log, newest last, where the model's runtime keeps logs.",
        "parameters": [
          {
            "$ref": "#/components/parameters/kind"
          },
          {
            "$ref": "#/components/parameters/namespace"
          },
          {
            "$ref": "#/components/parameters/name"
          },
          {
            "name": "slot",
            "in": "path",
            "required": true,
            "schema": {
              "type": "string"
            }
          },
          {
            "name": "lines",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string",
              "pattern": "^[0-9]+$"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The lines.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "additionalProperties": false,
                  "properties": {
                    "slot": {
                      "$ref": "#/components/schemas/SlotName"
                    },
                    "lines": {
                      "type": "array",
                      "items": {
                        "type": "string"
                      }
                    }
                  },
                  "required": [
                    "slot",
                    "lines"
                  ]
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/ErrorResponse"
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
    },
    "/entities/{kind}/{namespace}/{name}/artifacts": {
      "get": {
        "operationId": "ListArtifacts",
        "description": "The versions offered for deployment (the configured artifact index and every version that succeeded).",
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
            "description": "The versions.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "additionalProperties": false,
                  "properties": {
                    "items": {
                      "type": "array",
                      "items": {
                        "$ref": "#/components/schemas/AvailableVersion"
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
          "404": {
            "$ref": "#/components/responses/ErrorResponse"
          },
          "default": {
            "$ref": "#/components/responses/ErrorResponse"
          }
        }
      }
    },
    "/entities/{kind}/{namespace}/{name}/environments": {
      "get": {
        "operationId": "GetEnvironments",
        "description": "The blue and green colors of a model, the production endpoint and the switch history.",
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
            "description": "The environments.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "additionalProperties": false,
                  "properties": {
                    "productionEndpoint": {
                      "type": "string"
                    },
                    "activeSlot": {
                      "type": "string",
                      "enum": [
                        "blue",
                        "green"
                      ]
                    },
                    "slots": {
                      "type": "array",
                      "items": {
                        "$ref": "#/components/schemas/EnvironmentSlot"
                      }
                    },
                    "history": {
                      "type": "array",
                      "items": {
                        "$ref": "#/components/schemas/SwitchRecord"
                      }
                    },
                    "canary": {
                      "$ref": "#/components/schemas/CanaryState"
                    }
                  },
                  "required": [
                    "slots",
                    "history"
                  ]
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
    },
    "/entities/{kind}/{namespace}/{name}/environments/switch": {
      "post": {
        "operationId": "SwitchEnvironment",
        "description": "Switches production traffic to the other color (or `to`), verifies it, watches health, and returns traffic on failure. Needs model-ops.environment.switch.",
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
        "requestBody": {
          "required": false,
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "properties": {
                  "to": {
                    "type": "string"
                  },
                  "reason": {
                    "type": "string"
                  }
                }
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "The switch, succeeded.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/SwitchRecord"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/ErrorResponse"
          },
          "401": {
            "$ref": "#/components/responses/ErrorResponse"
          },
          "403": {
            "$ref": "#/components/responses/ErrorResponse"
          },
          "404": {
            "$ref": "#/components/responses/ErrorResponse"
          },
          "409": {
            "$ref": "#/components/responses/ErrorResponse"
          },
          "default": {
            "$ref": "#/components/responses/ErrorResponse"
          }
        }
      }
    },
    "/entities/{kind}/{namespace}/{name}/environments/rollback-switch": {
      "post": {
        "operationId": "RollbackSwitch",
        "description": "Reverses the last switch while the previous color is warm (200 with the switch); otherwise redeploys its version through the pipeline (202 with the run). Needs model-ops.environment.switch.",
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
        "requestBody": {
          "required": false,
          "content": {
            "application/json": {
              "schema": {
                "type": "object",
                "properties": {
                  "reason": {
                    "type": "string"
                  }
                }
              }
            }
          }
        },
        "responses": {
          "200": {
            "description": "The switch back, succeeded.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/SwitchRecord"
                }
              }
            }
          },
          "202": {
            "description": "A rollback run that redeploys the previous version.",
            "content": {
              "application/json": {
                "schema": {
                  "$ref": "#/components/schemas/DeploymentRun"
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/ErrorResponse"
          },
          "401": {
            "$ref": "#/components/responses/ErrorResponse"
          },
          "403": {
            "$ref": "#/components/responses/ErrorResponse"
          },
          "404": {
            "$ref": "#/components/responses/ErrorResponse"
          },
          "409": {
            "$ref": "#/components/responses/ErrorResponse"
          },
          "default": {
            "$ref": "#/components/responses/ErrorResponse"
          }
        }
      }
    },
    "/entities/{kind}/{namespace}/{name}/metrics": {
      "get": {
        "operationId": "GetMetrics",
        "description": "The model's metric series (all live slots together) between from and to, per minute (step 60) or per hour (step 3600).",
        "parameters": [
          {
            "$ref": "#/components/parameters/kind"
          },
          {
            "$ref": "#/components/parameters/namespace"
          },
          {
            "$ref": "#/components/parameters/name"
          },
          {
            "name": "from",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string"
            }
          },
          {
            "name": "to",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string"
            }
          },
          {
            "name": "step",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The series.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "additionalProperties": false,
                  "properties": {
                    "from": {
                      "type": "string"
                    },
                    "to": {
                      "type": "string"
                    },
                    "stepSeconds": {
                      "type": "number"
                    },
                    "series": {
                      "type": "array",
                      "items": {
                        "$ref": "#/components/schemas/MetricSeries"
                      }
                    }
                  },
                  "required": [
                    "from",
                    "to",
                    "stepSeconds",
                    "series"
                  ]
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/ErrorResponse"
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
    },
    "/entities/{kind}/{namespace}/{name}/status": {
      "get": {
        "operationId": "GetStatus",
        "description": "Current metric values with thresholds, levels, trends and last-hour sparklines; the model's status; its open and recently resolved alerts.",
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
            "description": "The status.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "additionalProperties": false,
                  "properties": {
                    "status": {
                      "$ref": "#/components/schemas/ModelStatus"
                    },
                    "collectedAt": {
                      "type": "string",
                      "format": "date-time"
                    },
                    "metrics": {
                      "type": "array",
                      "items": {
                        "$ref": "#/components/schemas/MetricStatus"
                      }
                    },
                    "alerts": {
                      "type": "array",
                      "items": {
                        "$ref": "#/components/schemas/AlertRecord"
                      }
                    }
                  },
                  "required": [
                    "status",
                    "metrics",
                    "alerts"
                  ]
                }
              }
            }
          },
          "400": {
            "$ref": "#/components/responses/ErrorResponse"
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
    },
    "/entities/{kind}/{namespace}/{name}/alerts": {
      "get": {
        "operationId": "ListAlerts",
        "description": "The model's alerts, newest first, optionally of one state.",
        "parameters": [
          {
            "$ref": "#/components/parameters/kind"
          },
          {
            "$ref": "#/components/parameters/namespace"
          },
          {
            "$ref": "#/components/parameters/name"
          },
          {
            "name": "state",
            "in": "query",
            "required": false,
            "schema": {
              "type": "string"
            }
          }
        ],
        "responses": {
          "200": {
            "description": "The alerts.",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "additionalProperties": false,
                  "properties": {
                    "items": {
                      "type": "array",
                      "items": {
                        "$ref": "#/components/schemas/AlertRecord"
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
          "400": {
            "$ref": "#/components/responses/ErrorResponse"
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
