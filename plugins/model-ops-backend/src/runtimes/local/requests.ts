import { InputError } from '@backstage/errors';
import { SLOT_NAMES, SlotName } from '@model-ops/plugin-model-ops-common';
import { ModelArtifact } from '@model-ops/plugin-model-ops-node';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Same rule as the `model-ops/model-id` annotation; it also keeps ids safe as folder names of
 * the state folder.
 *
 * @internal
 */
export const MODEL_ID_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * The model id of a request, checked.
 *
 * @internal
 */
export function checkModelId(modelId: string): string {
  if (typeof modelId !== 'string' || !MODEL_ID_PATTERN.test(modelId)) {
    throw new InputError(
      `Invalid model id ${JSON.stringify(
        modelId,
      )}: expected lowercase letters, digits and dashes`,
    );
  }
  return modelId;
}

/**
 * The slot of a request, checked.
 *
 * @internal
 */
export function checkSlot(slot: string): SlotName {
  if (!(SLOT_NAMES as readonly string[]).includes(slot)) {
    throw new InputError(
      `Unknown slot ${JSON.stringify(slot)}; expected one of ${SLOT_NAMES.join(
        ', ',
      )}`,
    );
  }
  return slot as SlotName;
}

/**
 * The absolute folder of an artifact: model servers of this runtime read it from disk, so it
 * must be a local path or a `file:` uri that exists.
 *
 * @internal
 */
export async function resolveArtifactPath(
  artifact: ModelArtifact,
): Promise<string> {
  let local = artifact?.localPath;
  if (!local && artifact?.uri?.startsWith('file:')) {
    local = fileURLToPath(artifact.uri);
  }
  if (!local) {
    throw new InputError(
      `The local runtime needs the artifact in a local folder (localPath or a file:// uri), got ${artifact?.uri}`,
    );
  }
  const resolved = path.resolve(local);
  try {
    await fsp.stat(resolved);
  } catch {
    throw new InputError(`The artifact ${resolved} does not exist`);
  }
  return resolved;
}
