import { InputError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';

/** Names the runtime sets itself; a deployment's `env` may not. */
const ENV_NAME_PATTERN =
  '^(?!(MODEL_ARTIFACT_URI|MODEL_ARTIFACT_SHA256|MODEL_VERSION|MODEL_OPS_[A-Z0-9_]*)$)[A-Za-z_][A-Za-z0-9_]*$';
const QUANTITY_PATTERN = '^[0-9]+(\\.[0-9]+)?(m|k|M|G|T|Ki|Mi|Gi|Ti)?$';

const RESOURCE_LIST_SCHEMA: JsonObject = {
  type: 'object',
  additionalProperties: false,
  properties: {
    cpu: { type: 'string', pattern: QUANTITY_PATTERN },
    memory: { type: 'string', pattern: QUANTITY_PATTERN },
  },
};

/**
 * JSON Schema of the per-deployment `config` of the `kubernetes` runtime.
 *
 * @public
 */
export const KUBERNETES_DEPLOYMENT_CONFIG_SCHEMA: JsonObject = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Deployment settings of the kubernetes runtime',
  type: 'object',
  additionalProperties: false,
  properties: {
    replicas: {
      description:
        'Pods of the slot. Default modelOps.kubernetes.replicas (1).',
      type: 'integer',
      minimum: 1,
      maximum: 100,
    },
    resources: {
      description: 'Requests and limits of the model server container.',
      type: 'object',
      additionalProperties: false,
      properties: {
        requests: RESOURCE_LIST_SCHEMA,
        limits: RESOURCE_LIST_SCHEMA,
      },
    },
    env: {
      description:
        'Environment variables of the model server. MODEL_ARTIFACT_URI, MODEL_ARTIFACT_SHA256, MODEL_VERSION and MODEL_OPS_* are set by the runtime.',
      type: 'object',
      propertyNames: { pattern: ENV_NAME_PATTERN },
      additionalProperties: { type: 'string' },
    },
    rolloutTimeoutSeconds: {
      description:
        'Time the rollout has to become available. Default modelOps.kubernetes.rolloutTimeoutSeconds (300).',
      type: 'number',
      exclusiveMinimum: 0,
      maximum: 3600,
    },
  },
};

/**
 * The per-deployment config of the `kubernetes` runtime, checked.
 *
 * @internal
 */
export interface KubernetesDeploymentConfig {
  replicas?: number;
  resources?: {
    requests?: { cpu?: string; memory?: string };
    limits?: { cpu?: string; memory?: string };
  };
  env: Record<string, string>;
  rolloutTimeoutSeconds?: number;
}

function invalid(message: string): never {
  throw new InputError(`Invalid config for the kubernetes runtime: ${message}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}

function parseResourceList(
  value: unknown,
  where: string,
): { cpu?: string; memory?: string } {
  if (!isObject(value)) {
    return invalid(`${where} must be an object`);
  }
  const result: { cpu?: string; memory?: string } = {};
  for (const [key, v] of Object.entries(value)) {
    if (key !== 'cpu' && key !== 'memory') {
      invalid(`${where}.${key} is not allowed (allowed: cpu, memory)`);
    }
    if (typeof v !== 'string' || !new RegExp(QUANTITY_PATTERN).test(v)) {
      invalid(`${where}.${key} must be a quantity such as "500m" or "1Gi"`);
    }
    result[key] = v;
  }
  return result;
}

/**
 * Checks a deployment's `config` against {@link KUBERNETES_DEPLOYMENT_CONFIG_SCHEMA}.
 *
 * @internal
 */
export function parseDeploymentConfig(
  config: JsonObject | undefined,
): KubernetesDeploymentConfig {
  const result: KubernetesDeploymentConfig = { env: {} };
  if (config === undefined || config === null) {
    return result;
  }
  if (!isObject(config)) {
    return invalid('expected an object');
  }
  for (const [key, value] of Object.entries(config)) {
    if (key === 'replicas') {
      if (
        typeof value !== 'number' ||
        !Number.isInteger(value) ||
        value < 1 ||
        value > 100
      ) {
        invalid('replicas must be a whole number from 1 to 100');
      }
      result.replicas = value;
    } else if (key === 'resources') {
      if (!isObject(value)) {
        invalid('resources must be an object');
      }
      result.resources = {};
      for (const [part, list] of Object.entries(value)) {
        if (part !== 'requests' && part !== 'limits') {
          invalid(
            `resources.${part} is not allowed (allowed: requests, limits)`,
          );
        }
        result.resources[part] = parseResourceList(list, `resources.${part}`);
      }
    } else if (key === 'env') {
      if (!isObject(value)) {
        invalid('env must be an object of strings');
      }
      const pattern = new RegExp(ENV_NAME_PATTERN);
      for (const [name, v] of Object.entries(value)) {
        if (!pattern.test(name)) {
          invalid(`environment variable ${name} is not allowed`);
        }
        if (typeof v !== 'string') {
          invalid(`env.${name} must be a string`);
        }
        result.env[name] = v;
      }
    } else if (key === 'rolloutTimeoutSeconds') {
      if (typeof value !== 'number' || !(value > 0) || value > 3600) {
        invalid('rolloutTimeoutSeconds must be a number in (0, 3600]');
      }
      result.rolloutTimeoutSeconds = value;
    } else {
      invalid(
        `unknown property "${key}" (allowed: replicas, resources, env, rolloutTimeoutSeconds)`,
      );
    }
  }
  return result;
}
