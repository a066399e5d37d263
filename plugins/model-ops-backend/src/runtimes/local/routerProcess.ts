import { LoggerService } from '@backstage/backend-plugin-api';
import net from 'node:net';
import {
  FAILURE_LOG_LINES,
  linesSince,
  openLogSection,
  routerLogPath,
} from './logs';
import { ModelEntry, ModelStates } from './modelStates';
import { LocalRuntimeSettings } from './options';
import {
  describeError,
  inheritedEnvironment,
  isAlive,
  waitForListeningLine,
} from './processes';
import { RouterClient } from './routerClient';
import { RouterRecord } from './state';
import { ProcessSupervisor } from './supervisor';
import { routerTokenPath } from './token';

const ROUTER_STARTUP_TIMEOUT_MS = 10_000;
/** Attempts at a range port that another program takes between the check and the start. */
const ROUTER_PORT_ATTEMPTS = 3;

function portIsFree(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}

/**
 * The router process of each model: started on first traffic, on the model's fixed port
 * (`modelOps.local.routerPorts`) or on a port of the range that the model then keeps across
 * restarts, so that its production endpoint stays the same.
 *
 * @internal
 */
export class RouterProcesses {
  readonly #settings: LocalRuntimeSettings;
  readonly #clock: () => Date;
  readonly #logger: LoggerService;
  readonly #supervisor: ProcessSupervisor;
  readonly #states: ModelStates;
  readonly #client: RouterClient;

  constructor(options: {
    settings: LocalRuntimeSettings;
    clock: () => Date;
    logger: LoggerService;
    supervisor: ProcessSupervisor;
    states: ModelStates;
    client: RouterClient;
  }) {
    this.#settings = options.settings;
    this.#clock = options.clock;
    this.#logger = options.logger;
    this.#supervisor = options.supervisor;
    this.#states = options.states;
    this.#client = options.client;
  }

  /**
   * The model's router, started when it is not running or does not answer (an unresponsive
   * one that is ours is stopped first). The state file records each step.
   */
  async ensure(entry: ModelEntry): Promise<RouterRecord> {
    const current = entry.state.router;
    if (
      current &&
      isAlive(current.pid) &&
      (await this.#client.answers(entry))
    ) {
      return current;
    }
    if (current) {
      if (
        isAlive(current.pid) &&
        this.#supervisor.isOurs(current.pid, current.command)
      ) {
        await this.#supervisor.stop(
          current.pid,
          `unresponsive router of ${entry.modelId}`,
        );
      }
      entry.state.router = undefined;
      await this.#states.save(entry);
    }
    const configured = this.#settings.routerPorts[entry.modelId];
    for (let attempt = 1; ; attempt++) {
      const port = configured ?? (await this.#allocatePort(entry));
      entry.state.routerPort = port;
      await this.#states.save(entry);
      try {
        const record = await this.#start(entry, port);
        entry.state.router = record;
        await this.#states.save(entry);
        return record;
      } catch (e) {
        const inUse = /EADDRINUSE/.test(describeError(e));
        if (
          configured !== undefined ||
          !inUse ||
          attempt >= ROUTER_PORT_ATTEMPTS
        ) {
          throw e;
        }
        this.#logger.warn(
          `Router port ${port} of ${entry.modelId} was taken; picking another`,
        );
        entry.state.routerPort = undefined;
      }
    }
  }

  /** The remembered port when free, else the first free port of the range no model claims. */
  async #allocatePort(entry: ModelEntry): Promise<number> {
    const remembered = entry.state.routerPort;
    if (remembered) {
      if (await portIsFree(remembered)) {
        return remembered;
      }
      this.#logger.warn(
        `Router port ${remembered} of ${entry.modelId} is in use by another program; the model gets a new production endpoint`,
      );
    }
    const taken = new Set<number>(Object.values(this.#settings.routerPorts));
    for (const port of await this.#states.routerPortsClaimedBesides(
      entry.modelId,
    )) {
      taken.add(port);
    }
    if (remembered) {
      taken.add(remembered);
    }
    const { from, to } = this.#settings.routerPortRange;
    for (let port = from; port <= to; port++) {
      if (!taken.has(port) && (await portIsFree(port))) {
        return port;
      }
    }
    throw new Error(
      `No free router port for ${entry.modelId} in ${from}-${to}; widen modelOps.local.routerPortRange or set modelOps.local.routerPorts.${entry.modelId}`,
    );
  }

  async #start(entry: ModelEntry, port: number): Promise<RouterRecord> {
    const logPath = routerLogPath(entry.dir);
    const startedAt = this.#clock();
    const args = [
      this.#settings.routerScript,
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--model-id',
      entry.modelId,
      '--token-file',
      routerTokenPath(this.#settings.stateDir),
    ];
    const offset = await openLogSection(
      logPath,
      this.#settings.logMaxBytes,
      `${startedAt.toISOString()} starting the router of ${
        entry.modelId
      } on port ${port}`,
    );
    const proc = await this.#supervisor.spawn({
      command: process.execPath,
      args,
      cwd: this.#settings.stateDir,
      env: inheritedEnvironment(),
      logPath,
    });
    try {
      const line = await waitForListeningLine({
        logPath,
        offset,
        deadline: Date.now() + ROUTER_STARTUP_TIMEOUT_MS,
        process: proc,
      });
      const record: RouterRecord = {
        pid: proc.pid,
        port: line.port,
        startedAt: startedAt.toISOString(),
        command: [process.execPath, ...args],
      };
      // The health check goes to the recorded router.
      entry.state.router = record;
      if (!(await this.#client.answers(entry))) {
        throw new Error('the router does not answer its health check');
      }
      this.#logger.info(
        `Started the router of ${entry.modelId} at http://127.0.0.1:${line.port} (pid ${proc.pid})`,
      );
      return record;
    } catch (e) {
      entry.state.router = undefined;
      await this.#supervisor.stop(proc.pid, `router of ${entry.modelId}`);
      const lines = await linesSince(logPath, offset, FAILURE_LOG_LINES);
      throw new Error(
        `Could not start the router of ${
          entry.modelId
        } on port ${port}: ${describeError(e)}. Last log lines:\n${lines.join(
          '\n',
        )}`,
      );
    }
  }
}
