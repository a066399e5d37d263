import { InputError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';

/** Environment names a deployment may set: not the loader's, Node's or the runtime's own. */
const ENV_NAME_PATTERN =
  '^(?!(NODE_OPTIONS|NODE_PATH|LD_[A-Z0-9_]*|DYLD_[A-Z0-9_]*|MODEL_OPS_[A-Z0-9_]*)$)[A-Za-z_][A-Za-z0-9_]*$';

/**
 * JSON Schema of the per-deployment `config` of the `local` runtime.
 *
 * @public
 */
export const LOCAL_DEPLOYMENT_CONFIG_SCHEMA: JsonObject = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Deployment settings of the local runtime',
  type: 'object',
  additionalProperties: false,
  properties: {
    env: {
      description:
        'Environment variables of the model server. NODE_OPTIONS, NODE_PATH, LD_*, DYLD_* and MODEL_OPS_* are not allowed.',
      type: 'object',
      propertyNames: { pattern: ENV_NAME_PATTERN },
      additionalProperties: { type: 'string' },
    },
    startupTimeoutSeconds: {
      description:
        'Time the server has to print its listening line and answer /healthz with the expected version. Default 30.',
      type: 'number',
      exclusiveMinimum: 0,
      maximum: 600,
    },
  },
};

/**
 * The per-deployment config of the `local` runtime, checked.
 *
 * @internal
 */
export interface LocalDeploymentConfig {
  env: Record<string, string>;
  startupTimeoutSeconds?: number;
}

function invalid(reason: string): InputError {
  return new InputError(`Invalid config for the local runtime: ${reason}`);
}

function parseEnv(value: unknown): Record<string, string> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw invalid('env must be an object of strings');
  }
  const pattern = new RegExp(ENV_NAME_PATTERN);
  const env: Record<string, string> = {};
  for (const [name, v] of Object.entries(value)) {
    if (!pattern.test(name)) {
      throw invalid(`environment variable ${name} is not allowed`);
    }
    if (typeof v !== 'string') {
      throw invalid(`env.${name} must be a string`);
    }
    env[name] = v;
  }
  return env;
}

/**
 * Checks a deployment's `config` against {@link LOCAL_DEPLOYMENT_CONFIG_SCHEMA}. The runtime
 * checks again what the validation stage checked, because a caller may skip that stage.
 *
 * @internal
 */
export function parseDeploymentConfig(
  config: JsonObject | undefined,
): LocalDeploymentConfig {
  const result: LocalDeploymentConfig = { env: {} };
  if (config === undefined || config === null) {
    return result;
  }
  if (typeof config !== 'object' || Array.isArray(config)) {
    throw invalid('expected an object');
  }
  for (const [key, value] of Object.entries(config)) {
    if (key === 'env') {
      result.env = parseEnv(value);
    } else if (key === 'startupTimeoutSeconds') {
      if (typeof value !== 'number' || !(value > 0) || value > 600) {
        throw invalid('startupTimeoutSeconds must be a number in (0, 600]');
      }
      result.startupTimeoutSeconds = value;
    } else {
      throw invalid(
        `unknown property "${key}" (allowed: env, startupTimeoutSeconds)`,
      );
    }
  }
  return result;
}
