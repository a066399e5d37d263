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
 * How deep a deployment's `config` may nest, and how large it may be once serialized.
 *
 * @internal
 */
export const CONFIG_MAX_DEPTH = 32;
/** @internal */
export const CONFIG_MAX_BYTES = 64 * 1024;

/**
 * Refuses a `config` nested deeper than {@link CONFIG_MAX_DEPTH} or larger than
 * {@link CONFIG_MAX_BYTES}: it is stored as JSON text and handed to the runtime, and a document
 * thousands of levels deep would overflow the stack where it is serialized. Walked without
 * recursion, so the check itself cannot overflow.
 */
function checkConfigShape(config: Record<string, unknown>): void {
  const stack: Array<{ value: unknown; depth: number }> = [
    { value: config, depth: 1 },
  ];
  while (stack.length) {
    const { value, depth } = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > CONFIG_MAX_DEPTH) {
      throw new InputError(
        `config nests deeper than ${CONFIG_MAX_DEPTH} levels`,
      );
    }
    for (const child of Object.values(value)) {
      stack.push({ value: child, depth: depth + 1 });
    }
  }
  const bytes = Buffer.byteLength(JSON.stringify(config), 'utf8');
  if (bytes > CONFIG_MAX_BYTES) {
    throw new InputError(
      `config is ${bytes} bytes as JSON; at most ${CONFIG_MAX_BYTES} are accepted`,
    );
  }
}

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
  if (body.config !== undefined) checkConfigShape(body.config);
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
