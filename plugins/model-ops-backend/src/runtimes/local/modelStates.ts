import { LoggerService } from '@backstage/backend-plugin-api';
import { SlotName } from '@model-ops/plugin-model-ops-common';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { MODEL_ID_PATTERN } from './requests';
import {
  emptyState,
  ModelStateFile,
  readState,
  STATE_FILE,
  writeState,
} from './state';

/**
 * What the runtime knows of one model: its state file, in memory, and what is under way.
 *
 * @internal
 */
export interface ModelEntry {
  modelId: string;
  /** `<stateDir>/<modelId>`: the state file and the logs. */
  dir: string;
  state: ModelStateFile;
  /** Serialises the changes of one model. */
  lock: Promise<void>;
  /** Slots being deployed, with the version they are getting. */
  starting: Map<SlotName, string>;
}

/**
 * The models of a state folder: loads their state files, hands out one entry per model, runs
 * the changes of a model one at a time and writes them back.
 *
 * @internal
 */
export class ModelStates {
  readonly #stateDir: string;
  readonly #clock: () => Date;
  readonly #logger: LoggerService;
  readonly #entries = new Map<string, ModelEntry>();

  constructor(options: {
    stateDir: string;
    clock: () => Date;
    logger: LoggerService;
  }) {
    this.#stateDir = options.stateDir;
    this.#clock = options.clock;
    this.#logger = options.logger;
  }

  /** The entry of a model that has one. */
  get(modelId: string): ModelEntry | undefined {
    return this.#entries.get(modelId);
  }

  /** Every entry, in the order they were loaded or created. */
  all(): ModelEntry[] {
    return [...this.#entries.values()];
  }

  /**
   * Loads the state file of every model folder of the state folder; unreadable files are
   * skipped with a warning (their processes are then neither adopted nor stopped).
   */
  async load(): Promise<ModelEntry[]> {
    const names = await fsp.readdir(this.#stateDir, { withFileTypes: true });
    for (const dirent of names) {
      if (!dirent.isDirectory() || !MODEL_ID_PATTERN.test(dirent.name)) {
        continue;
      }
      const dir = path.join(this.#stateDir, dirent.name);
      let state: ModelStateFile | undefined;
      try {
        state = await readState(dir);
      } catch (e) {
        this.#logger.warn(`Ignoring ${path.join(dir, STATE_FILE)}: ${e}`);
        continue;
      }
      if (!state || state.modelId !== dirent.name) {
        continue;
      }
      this.#entries.set(state.modelId, this.#newEntry(state.modelId, state));
    }
    return this.all();
  }

  /** The entry of a model, created (with its folder) on first use. */
  async open(modelId: string, entityRef?: string): Promise<ModelEntry> {
    let entry = this.#entries.get(modelId);
    if (!entry) {
      const dir = path.join(this.#stateDir, modelId);
      await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
      entry = this.#newEntry(modelId, emptyState(modelId));
      this.#entries.set(modelId, entry);
    }
    if (entityRef && entry.state.entityRef !== entityRef) {
      entry.state.entityRef = entityRef;
    }
    return entry;
  }

  /** Runs `fn` after every change of the model queued before it, whether they failed or not. */
  withLock<T>(entry: ModelEntry, fn: () => Promise<T>): Promise<T> {
    const result = entry.lock.then(fn);
    entry.lock = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /** Writes the model's state file. */
  async save(entry: ModelEntry): Promise<void> {
    entry.state.updatedAt = this.#clock().toISOString();
    await writeState(entry.dir, entry.state);
  }

  #newEntry(modelId: string, state: ModelStateFile): ModelEntry {
    return {
      modelId,
      dir: path.join(this.#stateDir, modelId),
      state,
      lock: Promise.resolve(),
      starting: new Map(),
    };
  }
}
