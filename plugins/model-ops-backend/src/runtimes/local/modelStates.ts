import { LoggerService } from '@backstage/backend-plugin-api';
import { SlotName } from '@model-ops/plugin-model-ops-common';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { MODEL_ID_PATTERN } from './requests';
import {
  emptyState,
  ModelStateFile,
  parseState,
  readStateText,
  serializeState,
  STATE_FILE,
  writeFileAtomic,
} from './state';

/** Writes of one state file that find it changed between the read and the rename, at most. */
const SAVE_ATTEMPTS = 3;

/**
 * What the runtime knows of one model: its state file, in memory, and what is under way.
 *
 * Several backends may share one state folder (replicas on one host). Each operation on a
 * model first reloads the state file when another process wrote it since this one last read
 * or wrote it ({@link ModelStates.reload}), and every write merges this process's changes into
 * the file as it is then ({@link ModelStates.save}).
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
  /**
   * The text of the state file `state` was last read from or written as; undefined while the
   * model has no state file this process knows of.
   */
  fileText?: string;
  /**
   * Whether the processes `state` names were checked (adopted) by this process, or started by
   * it. False after a reload or a write that took in what another process recorded.
   */
  adopted: boolean;
  /**
   * Whether what `adopted` is missing came from another live process (a reload or a merge),
   * rather than from a file found at start: the router's table is then newer than the file.
   */
  changedElsewhere: boolean;
  /** Changes of the model running now in this process (under the lock). */
  busy: number;
}

/** A JSON text of a value with sorted keys, to compare values whatever their key order. */
function canonical(value: unknown): string {
  const sorted = (_key: string, v: unknown) => {
    if (!v || typeof v !== 'object' || Array.isArray(v)) {
      return v;
    }
    const keys = Object.keys(v).sort();
    return Object.fromEntries(
      keys.map(k => [k, (v as Record<string, unknown>)[k]]),
    );
  };
  return JSON.stringify(value, sorted) ?? 'undefined';
}

/**
 * A three-way merge of a state file, field by field (and slot by slot): a field this process
 * changed since `base` gets its value, any other field the value of the file as it is now.
 *
 * @internal
 */
export function mergeStates(
  base: ModelStateFile,
  ours: ModelStateFile,
  theirs: ModelStateFile,
): { state: ModelStateFile; taken: string[]; conflicts: string[] } {
  const taken: string[] = [];
  const conflicts: string[] = [];
  const pick = (name: string, b: unknown, o: unknown, t: unknown): unknown => {
    const [cb, co, ct] = [canonical(b), canonical(o), canonical(t)];
    if (co !== cb) {
      if (ct !== cb && ct !== co) {
        conflicts.push(name);
      }
      return o;
    }
    if (ct !== cb) {
      taken.push(name);
    }
    return t;
  };
  const fields = (...records: object[]) =>
    [...new Set(records.flatMap(r => Object.keys(r)))].sort();
  const merged: Record<string, unknown> = {};
  for (const key of fields(base, ours, theirs)) {
    if (key === 'slots' || key === 'updatedAt') {
      continue;
    }
    const value = pick(
      key,
      (base as unknown as Record<string, unknown>)[key],
      (ours as unknown as Record<string, unknown>)[key],
      (theirs as unknown as Record<string, unknown>)[key],
    );
    if (value !== undefined) {
      merged[key] = value;
    }
  }
  const slots: Record<string, unknown> = {};
  const [bs, os, ts] = [base.slots ?? {}, ours.slots ?? {}, theirs.slots ?? {}];
  for (const slot of fields(bs, os, ts) as SlotName[]) {
    const value = pick(`slot ${slot}`, bs[slot], os[slot], ts[slot]);
    if (value !== undefined) {
      slots[slot] = value;
    }
  }
  merged.slots = slots;
  merged.updatedAt = ours.updatedAt;
  return { state: merged as unknown as ModelStateFile, taken, conflicts };
}

/** Puts `source` into `target`, keeping the objects (state and slots) others hold. */
function assignState(target: ModelStateFile, source: ModelStateFile): void {
  const slots = target.slots;
  const sourceSlots = { ...source.slots };
  for (const key of Object.keys(target)) {
    if (!(key in source)) {
      delete (target as unknown as Record<string, unknown>)[key];
    }
  }
  Object.assign(target, source);
  for (const slot of Object.keys(slots) as SlotName[]) {
    delete slots[slot];
  }
  Object.assign(slots, sourceSlots);
  target.slots = slots;
}

/**
 * The models of a state folder: loads their state files, hands out one entry per model, runs
 * the changes of a model one at a time, reloads a state file another process changed and
 * writes the changes back.
 *
 * @internal
 */
export class ModelStates {
  readonly #stateDir: string;
  readonly #clock: () => Date;
  readonly #logger: LoggerService;
  readonly #entries = new Map<string, ModelEntry>();
  /** The content of each unreadable state file warned of. */
  readonly #ignored = new Map<string, string>();

  constructor(options: {
    stateDir: string;
    clock: () => Date;
    logger: LoggerService;
  }) {
    this.#stateDir = options.stateDir;
    this.#clock = options.clock;
    this.#logger = options.logger;
  }

  /**
   * The entry of a model that has one: known to this process, or with a state file another
   * process wrote since.
   */
  async get(modelId: string): Promise<ModelEntry | undefined> {
    const known = this.#entries.get(modelId);
    if (known) {
      return known;
    }
    const found = await this.#readFile(modelId);
    // Another call may have made the entry meanwhile.
    const raced = this.#entries.get(modelId);
    if (raced || !found) {
      return raced;
    }
    return this.#add(modelId, found.state, found.text);
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
      if (this.#entries.has(dirent.name)) {
        continue;
      }
      const found = await this.#readFile(dirent.name);
      if (found && !this.#entries.has(dirent.name)) {
        this.#add(dirent.name, found.state, found.text);
      }
    }
    return this.all();
  }

  /**
   * The router ports other models claim: those this process knows of and those of the state
   * files other backends wrote.
   */
  async routerPortsClaimedBesides(modelId: string): Promise<Set<number>> {
    const ports = new Set<number>();
    for (const entry of this.#entries.values()) {
      if (entry.modelId !== modelId && entry.state.routerPort) {
        ports.add(entry.state.routerPort);
      }
    }
    const names = await fsp.readdir(this.#stateDir, { withFileTypes: true });
    for (const dirent of names) {
      if (
        dirent.isDirectory() &&
        dirent.name !== modelId &&
        MODEL_ID_PATTERN.test(dirent.name)
      ) {
        const port = (await this.#readFile(dirent.name))?.state.routerPort;
        if (port) {
          ports.add(port);
        }
      }
    }
    return ports;
  }

  /** The entry of a model, created (with its folder) on first use. */
  async open(modelId: string, entityRef?: string): Promise<ModelEntry> {
    let entry = await this.get(modelId);
    if (!entry) {
      const dir = path.join(this.#stateDir, modelId);
      await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
      entry =
        this.#entries.get(modelId) ??
        this.#add(modelId, emptyState(modelId), undefined);
    }
    if (entityRef && entry.state.entityRef !== entityRef) {
      entry.state.entityRef = entityRef;
    }
    return entry;
  }

  /** Runs `fn` after every change of the model queued before it, whether they failed or not. */
  withLock<T>(entry: ModelEntry, fn: () => Promise<T>): Promise<T> {
    const result = entry.lock.then(async () => {
      entry.busy++;
      try {
        return await fn();
      } finally {
        entry.busy--;
      }
    });
    entry.lock = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /**
   * Reads the model's state file again and, when another process wrote it since this one last
   * read or wrote it, takes it as the model's state (`adopted` is then false: the caller checks
   * the processes it names). Callers hold the model's lock.
   *
   * A state file that is gone or unreadable leaves the state as it is, with a warning.
   */
  async reload(entry: ModelEntry): Promise<void> {
    const found = await this.#readFile(entry.modelId);
    if (found) {
      this.#take(entry, found.state, found.text);
    } else if (entry.fileText !== undefined) {
      this.#logger.warn(
        `The state file of ${entry.modelId} is gone; keeping what this backend knows of it`,
      );
    }
  }

  /**
   * {@link ModelStates.reload} for reads that do not wait for the model's lock: nothing is
   * reloaded while a change of the model runs in this process, whose state is the newest.
   */
  async reloadIfIdle(entry: ModelEntry): Promise<void> {
    if (entry.busy) {
      return;
    }
    const found = await this.#readFile(entry.modelId);
    if (found && !entry.busy) {
      this.#take(entry, found.state, found.text);
    }
  }

  /**
   * Writes the model's state file. When another process wrote the file since this one last
   * read or wrote it, the changes of this process are merged into it (see
   * {@link mergeStates}), so that nothing the other recorded is lost; the file is read again
   * just before the rename, to keep that window small.
   */
  async save(entry: ModelEntry): Promise<void> {
    entry.state.updatedAt = this.#clock().toISOString();
    const file = path.join(entry.dir, STATE_FILE);
    for (let attempt = 1; ; attempt++) {
      const onDisk = await this.#readText(entry.modelId);
      const found =
        onDisk === undefined ? undefined : this.#parse(entry.modelId, onDisk);
      let target = entry.state;
      let taken: string[] = [];
      if (found && onDisk !== entry.fileText) {
        const base =
          entry.fileText === undefined
            ? emptyState(entry.modelId)
            : parseState(entry.dir, entry.fileText);
        const merged = mergeStates(base, entry.state, found);
        target = merged.state;
        taken = merged.taken;
        if (merged.conflicts.length) {
          this.#logger.warn(
            `Another backend changed ${merged.conflicts.join(', ')} of ${
              entry.modelId
            } while this one did; this one's change is kept`,
          );
        }
      }
      const text = serializeState(target);
      const last = attempt >= SAVE_ATTEMPTS;
      const written = await writeFileAtomic(file, text, 0o600, {
        beforeRename: last
          ? undefined
          : async () => (await this.#readText(entry.modelId)) === onDisk,
      });
      if (!written) {
        continue;
      }
      if (target !== entry.state) {
        assignState(entry.state, target);
      }
      entry.fileText = text;
      if (taken.length) {
        entry.adopted = false;
        entry.changedElsewhere = true;
        this.#logger.info(
          `Took in ${taken.join(', ')} of ${
            entry.modelId
          } from the state file another backend wrote`,
        );
      }
      return;
    }
  }

  /** Takes a state file's content unless it is what the entry holds already. */
  #take(entry: ModelEntry, state: ModelStateFile, text: string): void {
    if (text === entry.fileText) {
      return;
    }
    assignState(entry.state, state);
    entry.fileText = text;
    entry.adopted = false;
    entry.changedElsewhere = true;
  }

  /** The text of the model's state file; undefined when it has none (or it cannot be read). */
  async #readText(modelId: string): Promise<string | undefined> {
    const dir = path.join(this.#stateDir, modelId);
    try {
      return await readStateText(dir);
    } catch (e) {
      this.#warnOnce(modelId, String(e), `${e}`);
      return undefined;
    }
  }

  /** The state in a state file's text, unless it is not one or not the model's. */
  #parse(modelId: string, text: string): ModelStateFile | undefined {
    const dir = path.join(this.#stateDir, modelId);
    try {
      const state = parseState(dir, text);
      return state.modelId === modelId ? state : undefined;
    } catch (e) {
      this.#warnOnce(modelId, text, `${e}`);
      return undefined;
    }
  }

  /** The model's state file, or undefined when it has none that is its own and readable. */
  async #readFile(
    modelId: string,
  ): Promise<{ state: ModelStateFile; text: string } | undefined> {
    const text = await this.#readText(modelId);
    const state = text === undefined ? undefined : this.#parse(modelId, text);
    return state && { state, text: text! };
  }

  /** Warns of an unreadable state file, once for each content it has. */
  #warnOnce(modelId: string, content: string, error: string): void {
    if (this.#ignored.get(modelId) === content) {
      return;
    }
    this.#ignored.set(modelId, content);
    this.#logger.warn(
      `Ignoring ${path.join(this.#stateDir, modelId, STATE_FILE)}: ${error}`,
    );
  }

  #add(
    modelId: string,
    state: ModelStateFile,
    fileText: string | undefined,
  ): ModelEntry {
    const entry: ModelEntry = {
      modelId,
      dir: path.join(this.#stateDir, modelId),
      state,
      lock: Promise.resolve(),
      starting: new Map(),
      fileText,
      adopted: fileText === undefined,
      changedElsewhere: false,
      busy: 0,
    };
    this.#entries.set(modelId, entry);
    return entry;
  }
}
