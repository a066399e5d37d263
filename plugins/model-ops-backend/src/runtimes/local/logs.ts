import { LoggerService } from '@backstage/backend-plugin-api';
import { SLOT_NAMES, SlotName } from '@model-ops/plugin-model-ops-common';
import fsp from 'node:fs/promises';
import path from 'node:path';

/**
 * How many log lines a failed start quotes in its error.
 *
 * @internal
 */
export const FAILURE_LOG_LINES = 20;

const MAX_LOG_LINES = 10_000;
const LOG_ROTATE_INTERVAL_MS = 30_000;
/** How far back from the end {@link linesSince} reads at most. */
const LINES_SINCE_MAX_BYTES = 64 * 1024;

/**
 * The log of a slot's model server: `<stateDir>/<modelId>/<slot>.log`.
 *
 * @internal
 */
export function slotLogPath(
  stateDir: string,
  modelId: string,
  slot: SlotName,
): string {
  return path.join(stateDir, modelId, `${slot}.log`);
}

/**
 * The log of a model's router, in the model's state folder.
 *
 * @internal
 */
export function routerLogPath(modelDir: string): string {
  return path.join(modelDir, 'router.log');
}

/**
 * The number of lines a caller asked for, as a whole number from 0 to 10,000.
 *
 * @internal
 */
export function clampLogLines(lines: number): number {
  return Math.max(0, Math.min(MAX_LOG_LINES, Math.floor(lines || 0)));
}

/**
 * Keeps a log under `maxBytes`: when larger, it moves to `<file>.1` (replacing it) and starts over.
 *
 * @internal
 */
export async function rotateLog(file: string, maxBytes: number): Promise<void> {
  let size: number;
  try {
    size = (await fsp.stat(file)).size;
  } catch {
    return;
  }
  if (size <= maxBytes) {
    return;
  }
  // The servers hold the file open in append mode: copy then truncate, so they keep writing
  // into the same (now empty) file.
  await fsp.copyFile(file, `${file}.1`);
  await fsp.truncate(file, 0);
}

/**
 * The last `lines` lines of a log (and of its rotated predecessor when needed), newest last.
 *
 * @internal
 */
export async function tailLog(file: string, lines: number): Promise<string[]> {
  if (lines <= 0) {
    return [];
  }
  const read = async (f: string) => {
    try {
      return await fsp.readFile(f, 'utf8');
    } catch {
      return '';
    }
  };
  const split = (text: string) => {
    const all = text.split('\n');
    if (all.length && all[all.length - 1] === '') {
      all.pop();
    }
    return all;
  };
  let result = split(await read(file));
  if (result.length < lines) {
    result = [...split(await read(`${file}.1`)), ...result];
  }
  return result.slice(-lines);
}

/**
 * Starts the section of a log that a new process writes: rotates the log when it is too large,
 * appends a `[model-ops] <message>` line, and answers the offset the process's output starts at.
 *
 * @internal
 */
export async function openLogSection(
  file: string,
  maxBytes: number,
  message: string,
): Promise<number> {
  await rotateLog(file, maxBytes);
  await fsp.appendFile(file, `[model-ops] ${message}\n`, { mode: 0o600 });
  return (await fsp.stat(file)).size;
}

/**
 * The last `lines` non-empty lines written after `offset` (from the start when the log was
 * rotated since), to quote in the error of a failed start.
 *
 * @internal
 */
export async function linesSince(
  file: string,
  offset: number,
  lines: number,
): Promise<string[]> {
  try {
    const handle = await fsp.open(file, 'r');
    try {
      const size = (await handle.stat()).size;
      const start =
        size >= offset ? Math.max(offset, size - LINES_SINCE_MAX_BYTES) : 0;
      const buffer = Buffer.alloc(size - start);
      await handle.read(buffer, 0, buffer.length, start);
      return buffer
        .toString('utf8')
        .split('\n')
        .filter(l => l.trim() !== '')
        .slice(-lines);
    } finally {
      await handle.close();
    }
  } catch {
    return [];
  }
}

/**
 * What log rotation needs to know of a model.
 *
 * @internal
 */
export interface RotatedModel {
  modelId: string;
  dir: string;
  /** Slots being deployed: their logs are being watched for the listening line. */
  starting: ReadonlyMap<SlotName, string>;
}

/**
 * Rotates the slot and router logs of every model every 30 seconds, skipping models with a
 * deployment under way. Answers the function that stops it.
 *
 * @internal
 */
export function startLogRotation(options: {
  stateDir: string;
  maxBytes: number;
  logger: LoggerService;
  models: () => Iterable<RotatedModel>;
}): () => void {
  const rotateAll = async () => {
    for (const model of options.models()) {
      if (model.starting.size) {
        continue;
      }
      for (const slot of SLOT_NAMES) {
        await rotateLog(
          slotLogPath(options.stateDir, model.modelId, slot),
          options.maxBytes,
        );
      }
      await rotateLog(routerLogPath(model.dir), options.maxBytes);
    }
  };
  const timer = setInterval(() => {
    rotateAll().catch(e => options.logger.warn(`Could not rotate logs: ${e}`));
  }, LOG_ROTATE_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
