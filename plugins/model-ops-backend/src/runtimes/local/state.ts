import { SlotName } from '@model-ops/plugin-model-ops-common';
import crypto from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';

/**
 * A model server process running one slot.
 *
 * @internal
 */
export interface SlotRecord {
  slot: SlotName;
  pid: number;
  port: number;
  endpoint: string;
  version: string;
  /** ISO time the process was started. */
  startedAt: string;
  command: string[];
  artifactPath: string;
  /** Hash of what was started (command, arguments, environment, artifact, version). */
  specHash: string;
}

/**
 * The router process of a model.
 *
 * @internal
 */
export interface RouterRecord {
  pid: number;
  port: number;
  startedAt: string;
  command: string[];
}

/**
 * One upstream of the router's table.
 *
 * @internal
 */
export interface RouteEntry {
  url: string;
  weight: number;
}

/**
 * The state file of one model, `<stateDir>/<modelId>/state.json`.
 *
 * @internal
 */
export interface ModelStateFile {
  schemaVersion: 1;
  modelId: string;
  entityRef?: string;
  /** The router port this model keeps across restarts. */
  routerPort?: number;
  router?: RouterRecord;
  /** The table last applied to the router. */
  routes?: Partial<Record<SlotName, RouteEntry>>;
  slots: Partial<Record<SlotName, SlotRecord>>;
  updatedAt: string;
}

/**
 * The name of a model's state file.
 *
 * @internal
 */
export const STATE_FILE = 'state.json';

/**
 * The state of a model the runtime has not run anything for yet.
 *
 * @internal
 */
export function emptyState(modelId: string): ModelStateFile {
  return {
    schemaVersion: 1,
    modelId,
    slots: {},
    updatedAt: new Date().toISOString(),
  };
}

/**
 * Writes a file atomically: a temporary file in the same folder, then a rename.
 *
 * @internal
 */
export async function writeFileAtomic(
  file: string,
  content: string,
  mode = 0o600,
  options: {
    /**
     * Asked once the content is on disk, just before the rename: false leaves the file as it
     * is (the temporary file is removed) and the call resolves to false.
     */
    beforeRename?: () => Promise<boolean>;
  } = {},
): Promise<boolean> {
  const temp = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.pid}.${crypto
      .randomBytes(4)
      .toString('hex')}.tmp`,
  );
  const handle = await fsp.open(temp, 'wx', mode);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    if (options.beforeRename && !(await options.beforeRename())) {
      await fsp.rm(temp, { force: true });
      return false;
    }
    await fsp.rename(temp, file);
  } catch (e) {
    await fsp.rm(temp, { force: true });
    throw e;
  }
  return true;
}

/**
 * Reads `<modelDir>/state.json`; undefined when there is none, an error when it is not one.
 *
 * @internal
 */
export async function readState(
  modelDir: string,
): Promise<ModelStateFile | undefined> {
  const text = await readStateText(modelDir);
  return text === undefined ? undefined : parseState(modelDir, text);
}

/**
 * The text of `<modelDir>/state.json`; undefined when there is none.
 *
 * @internal
 */
export async function readStateText(
  modelDir: string,
): Promise<string | undefined> {
  try {
    return await fsp.readFile(path.join(modelDir, STATE_FILE), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      return undefined;
    }
    throw e;
  }
}

/**
 * The state in the text of `<modelDir>/state.json`; an error when it is not one.
 *
 * @internal
 */
export function parseState(modelDir: string, text: string): ModelStateFile {
  const parsed = JSON.parse(text) as ModelStateFile;
  if (parsed?.schemaVersion !== 1 || typeof parsed.modelId !== 'string') {
    throw new Error(
      `Unrecognised state file ${path.join(modelDir, STATE_FILE)}`,
    );
  }
  parsed.slots = parsed.slots ?? {};
  return parsed;
}

/**
 * The text a state file is written as.
 *
 * @internal
 */
export function serializeState(state: ModelStateFile): string {
  return `${JSON.stringify(state, null, 2)}\n`;
}

/**
 * Writes `<modelDir>/state.json` atomically, mode 0600.
 *
 * @internal
 */
export async function writeState(
  modelDir: string,
  state: ModelStateFile,
): Promise<void> {
  await writeFileAtomic(path.join(modelDir, STATE_FILE), serializeState(state));
}
