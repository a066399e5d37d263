import { LoggerService } from '@backstage/backend-plugin-api';
import { SLOT_NAMES } from '@model-ops/plugin-model-ops-common';
import {
  isAlive,
  readCommandLine,
  SpawnedProcess,
  spawnDetached,
  stopProcessGroup,
} from './processes';
import { ModelStateFile } from './state';

/**
 * Starts and stops the process groups of the runtime: it remembers what this instance spawned
 * until it exits, so that shutdown also stops processes that never made it into a state file,
 * and it refuses to signal a recorded pid that now belongs to another program.
 *
 * @internal
 */
export class ProcessSupervisor {
  readonly #logger: LoggerService;
  readonly #stopTimeoutMs: number;
  /** Processes this instance spawned, by pid, until they exit. */
  readonly #spawned = new Map<number, SpawnedProcess>();

  constructor(options: { logger: LoggerService; stopTimeoutSeconds: number }) {
    this.#logger = options.logger;
    this.#stopTimeoutMs = options.stopTimeoutSeconds * 1000;
  }

  /** Spawns a detached process (see {@link spawnDetached}) and tracks it until it exits. */
  async spawn(
    options: Parameters<typeof spawnDetached>[0],
  ): Promise<SpawnedProcess> {
    const proc = await spawnDetached(options);
    this.#spawned.set(proc.pid, proc);
    proc.exited.then(() => this.#spawned.delete(proc.pid));
    return proc;
  }

  /** Whether a live process is one the runtime started with this command line. */
  isOurs(pid: number, command: string[]): boolean {
    const actual = readCommandLine(pid);
    return !!actual && actual.join('\0') === command.join('\0');
  }

  /**
   * Stops the process group of a recorded process, unless its pid now belongs to another
   * program (a live leader with another command line). A group whose leader is gone is still
   * ours: Linux does not reuse a pid while a group of that id exists.
   */
  async stopRecorded(
    pid: number,
    command: string[],
    what: string,
  ): Promise<void> {
    if (!this.#spawned.has(pid) && isAlive(pid)) {
      const actual = readCommandLine(pid);
      if (actual && actual.join('\0') !== command.join('\0')) {
        this.#logger.warn(
          `Not stopping ${what}: process ${pid} now runs ${actual.join(' ')}`,
        );
        return;
      }
    }
    await this.stop(pid, what);
  }

  /** Stops the process group led by `pid`: SIGTERM, then SIGKILL after the stop timeout. */
  async stop(pid: number, what: string): Promise<void> {
    const stopped = await stopProcessGroup(pid, this.#stopTimeoutMs);
    if (!stopped) {
      this.#logger.error(`Could not stop ${what} (process group ${pid})`);
    }
  }

  /** Stops, at once, the router and the servers recorded in a model's state. */
  async stopModelProcesses(
    modelId: string,
    state: ModelStateFile,
  ): Promise<void> {
    const stops: Array<Promise<void>> = [];
    if (state.router) {
      stops.push(
        this.stopRecorded(
          state.router.pid,
          state.router.command,
          `router of ${modelId}`,
        ),
      );
    }
    for (const slot of SLOT_NAMES) {
      const record = state.slots[slot];
      if (record) {
        stops.push(
          this.stopRecorded(
            record.pid,
            record.command,
            `${modelId}/${slot} version ${record.version}`,
          ),
        );
      }
    }
    await Promise.all(stops);
  }

  /** Stops every process spawned by this instance that still runs. */
  async stopAllSpawned(): Promise<void> {
    await Promise.all(
      [...this.#spawned.keys()].map(pid => this.stop(pid, `process ${pid}`)),
    );
  }
}
