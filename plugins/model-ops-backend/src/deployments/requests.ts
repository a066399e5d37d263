import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import {
  CreateDeploymentRequest,
  DEPLOYMENT_STRATEGIES,
  DeploymentStrategy,
} from '@model-ops/plugin-model-ops-common';

/** @internal */
export const VERSION_PATTERN = /^[0-9A-Za-z][0-9A-Za-z._+-]{0,127}$/;
const SHA256_PATTERN = /^[a-f0-9]{64}$/i;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Checks a `POST /deployments` body, naming the first bad field, and returns it normalized (the
 * entity ref in its full form, the sha256 in lower case); nothing is written on failure.
 *
 * @internal
 */
export function parseCreateDeploymentRequest(
  body: unknown,
): CreateDeploymentRequest {
  if (!isObject(body)) {
    throw new InputError('The request body must be a JSON object');
  }
  if (typeof body.entityRef !== 'string' || body.entityRef === '') {
    throw new InputError(
      'entityRef is required: a full entity ref such as component:default/my-model',
    );
  }
  let entityRef: string;
  try {
    entityRef = stringifyEntityRef(parseEntityRef(body.entityRef));
  } catch (error) {
    throw new InputError(
      `entityRef "${body.entityRef}" is not an entity ref: ${
        (error as Error).message
      }`,
    );
  }
  if (typeof body.version !== 'string' || !VERSION_PATTERN.test(body.version)) {
    throw new InputError(
      'version is required: letters, digits, ".", "_", "+" or "-", such as "1.1.0"',
    );
  }
  const artifact = body.artifact;
  if (!isObject(artifact)) {
    throw new InputError(
      'artifact is required: { "uri": "...", "sha256": "..." }',
    );
  }
  if (
    typeof artifact.uri !== 'string' ||
    !/^(file:|https?:\/\/)/i.test(artifact.uri)
  ) {
    throw new InputError('artifact.uri must be a file: or http(s):// URI');
  }
  if (
    typeof artifact.sha256 !== 'string' ||
    !SHA256_PATTERN.test(artifact.sha256)
  ) {
    throw new InputError('artifact.sha256 must be 64 hexadecimal characters');
  }
  if (body.config !== undefined && !isObject(body.config)) {
    throw new InputError('config must be a JSON object');
  }
  if (
    body.strategy !== undefined &&
    !(DEPLOYMENT_STRATEGIES as readonly unknown[]).includes(body.strategy)
  ) {
    throw new InputError(
      `strategy must be one of ${DEPLOYMENT_STRATEGIES.join(', ')}`,
    );
  }
  return {
    entityRef,
    version: body.version,
    artifact: { uri: artifact.uri, sha256: artifact.sha256.toLowerCase() },
    config: body.config,
    strategy: body.strategy as DeploymentStrategy | undefined,
  };
}

/**
 * Checks a rollback's `toVersion`, when given.
 *
 * @internal
 */
export function parseToVersion(value: unknown): string | undefined {
  if (
    value !== undefined &&
    (typeof value !== 'string' || !VERSION_PATTERN.test(value))
  ) {
    throw new InputError('toVersion must be a version string such as "1.0.0"');
  }
  return value;
}
