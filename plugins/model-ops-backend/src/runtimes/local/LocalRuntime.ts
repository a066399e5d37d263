import {
  LifecycleService,
  LoggerService,
  RootLifecycleService,
} from '@backstage/backend-plugin-api';
import { checkTrafficWeights } from '../weights';
import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { JsonObject } from '@backstage/types';
import { SLOT_NAMES, SlotName } from '@model-ops/plugin-model-ops-common';
import {
  ModelArtifact,
  ModelRuntime,
  RuntimeDescription,
  RuntimeEndpoint,
  RuntimeModelRef,
  SlotHealth,
  TrafficWeights,
} from '@model-ops/plugin-model-ops-node';
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalRuntimeSettings, readLocalRuntimeSettings } from './options';
import {
  delay,
  isAlive,
  readCommandLine,
  requestJson,
  SpawnedProcess,
  spawnDetached,
  stopProcessGroup,
  waitForListeningLine,
} from './processes';
import {
  emptyState,
  ModelStateFile,
  readState,
  RouteEntry,
  RouterRecord,
  rotateLog,
  SlotRecord,
  STATE_FILE,
  tailLog,
  writeState,
} from './state';

/** Same rule as the `model-ops/model-id` annotation; also keeps ids safe as folder names. */
const MODEL_ID_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Environment names a deployment may set: not the loader's, Node's or the runtime's own. */
const ENV_NAME_PATTERN =
  '^(?!(NODE_OPTIONS|NODE_PATH|LD_[A-Z0-9_]*|DYLD_[A-Z0-9_]*|MODEL_OPS_[A-Z0-9_]*)$)[A-Za-z_][A-Za-z0-9_]*$';

/** Variables of the backend's environment that model servers inherit; nothing secret. */
const INHERITED_ENV = [
  'PATH',
  'HOME',
  'USER',
  'LANG',
  'LC_ALL',
  'TZ',
  'TMPDIR',
  'SYSTEMROOT',
];

const ROUTER_TOKEN_FILE = 'router.token';
const ROUTER_TOKEN_HEADER = 'x-model-ops-router-token';
const ROUTER_STARTUP_TIMEOUT_MS = 10_000;
const ROUTER_ADMIN_TIMEOUT_MS = 5_000;
const LOG_ROTATE_INTERVAL_MS = 30_000;
const FAILURE_LOG_LINES = 20;
const MAX_LOG_LINES = 10_000;

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

/** The per-deployment config of the `local` runtime, checked. */
interface DeploymentConfig {
  env: Record<string, string>;
  startupTimeoutSeconds?: number;
}

/**
 * Options of {@link LocalRuntime}.
 *
 * @public
 */
export interface LocalRuntimeOptions {
  settings: LocalRuntimeSettings;
  logger: LoggerService;
  /** The clock of `checkedAt` and `startedAt`; default `() => new Date()`. */
  clock?: () => Date;
}

interface ModelEntry {
  modelId: string;
  dir: string;
  state: ModelStateFile;
  /** Serialises the changes of one model. */
  lock: Promise<void>;
  /** Slots being deployed, with the version they are getting. */
  starting: Map<SlotName, string>;
}

interface StartSpec {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  artifactPath: string;
  version: string;
  hash: string;
}

function parseDeploymentConfig(
  config: JsonObject | undefined,
): DeploymentConfig {
  const result: DeploymentConfig = { env: {} };
  if (config === undefined || config === null) {
    return result;
  }
  if (typeof config !== 'object' || Array.isArray(config)) {
    throw new InputError(
      'Invalid config for the local runtime: expected an object',
    );
  }
  for (const [key, value] of Object.entries(config)) {
    if (key === 'env') {
      if (!value || typeof value !== 'object' || Array.isArray(value)) {
        throw new InputError(
          'Invalid config for the local runtime: env must be an object of strings',
        );
      }
      const pattern = new RegExp(ENV_NAME_PATTERN);
      for (const [name, v] of Object.entries(value)) {
        if (!pattern.test(name)) {
          throw new InputError(
            `Invalid config for the local runtime: environment variable ${name} is not allowed`,
          );
        }
        if (typeof v !== 'string') {
          throw new InputError(
            `Invalid config for the local runtime: env.${name} must be a string`,
          );
        }
        result.env[name] = v;
      }
    } else if (key === 'startupTimeoutSeconds') {
      if (typeof value !== 'number' || !(value > 0) || value > 600) {
        throw new InputError(
          'Invalid config for the local runtime: startupTimeoutSeconds must be a number in (0, 600]',
        );
      }
      result.startupTimeoutSeconds = value;
    } else {
      throw new InputError(
        `Invalid config for the local runtime: unknown property "${key}" (allowed: env, startupTimeoutSeconds)`,
      );
    }
  }
  return result;
}

function checkModelId(modelId: string): string {
  if (typeof modelId !== 'string' || !MODEL_ID_PATTERN.test(modelId)) {
    throw new InputError(
      `Invalid model id ${JSON.stringify(
        modelId,
      )}: expected lowercase letters, digits and dashes`,
    );
  }
  return modelId;
}

function checkSlot(slot: string): SlotName {
  if (!(SLOT_NAMES as readonly string[]).includes(slot)) {
    throw new InputError(
      `Unknown slot ${JSON.stringify(slot)}; expected one of ${SLOT_NAMES.join(
        ', ',
      )}`,
    );
  }
  return slot as SlotName;
}

function describeError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise(resolve => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}

function sameRoutes(
  a: Partial<Record<string, RouteEntry>> | undefined,
  b: Partial<Record<string, RouteEntry>> | undefined,
): boolean {
  const keysA = Object.keys(a ?? {}).sort();
  const keysB = Object.keys(b ?? {}).sort();
  return (
    keysA.join() === keysB.join() &&
    keysA.every(
      k => a![k]!.url === b![k]!.url && a![k]!.weight === b![k]!.weight,
    )
  );
}

/**
 * The built-in `local` runtime: every slot is a model server child process on this host, and a
 * router process per model spreads production traffic over the slots by weight.
 *
 * Processes run in their own process groups and survive a backend crash; their pids, ports and
 * versions are kept in `<stateDir>/<modelId>/state.json`, and a new instance on the same state
 * folder adopts the ones that still answer `/healthz` with the recorded version.
 *
 * @public
 */
export class LocalRuntime implements ModelRuntime {
  readonly id = 'local';
  readonly frameworks: readonly string[] = ['model-server/v1'];
  readonly configSchema: JsonObject = LOCAL_DEPLOYMENT_CONFIG_SCHEMA;

  readonly #settings: LocalRuntimeSettings;
  readonly #logger: LoggerService;
  readonly #clock: () => Date;
  readonly #models = new Map<string, ModelEntry>();
  /** Processes this instance spawned, by pid, until they exit. */
  readonly #spawned = new Map<number, SpawnedProcess>();
  #ready?: Promise<void>;
  #token = '';
  #rotateTimer?: NodeJS.Timeout;
  #closing?: Promise<void>;

  constructor(options: LocalRuntimeOptions) {
    this.#settings = options.settings;
    this.#logger = options.logger;
    this.#clock = options.clock ?? (() => new Date());
  }

  /** The settings in use. */
  get settings(): LocalRuntimeSettings {
    return this.#settings;
  }

  // ---------------------------------------------------------------------------------------------
  // ModelRuntime

  async deploy(request: {
    model: RuntimeModelRef;
    slot: SlotName;
    artifact: ModelArtifact;
    config: JsonObject;
  }): Promise<RuntimeEndpoint> {
    this.#assertOpen();
    const modelId = checkModelId(request.model.modelId);
    const slot = checkSlot(request.slot);
    const deployment = parseDeploymentConfig(request.config);
    const artifactPath = await this.#artifactPath(request.artifact);
    const version = request.artifact.version;
    if (typeof version !== 'string' || !version) {
      throw new InputError('The artifact has no version');
    }
    await this.#init();
    const entry = await this.#entry(modelId, request.model.entityRef);
    return this.#withLock(entry, async () => {
      this.#assertOpen();
      const spec = this.#startSpec(
        modelId,
        slot,
        artifactPath,
        version,
        deployment,
      );
      const existing = entry.state.slots[slot];
      if (
        existing &&
        existing.version === version &&
        existing.specHash === spec.hash &&
        isAlive(existing.pid) &&
        (await this.#slotAnswers(existing))
      ) {
        return { endpoint: existing.endpoint };
      }

      entry.starting.set(slot, version);
      try {
        const record = await this.#startSlot(
          entry,
          slot,
          spec,
          deployment.startupTimeoutSeconds ??
            this.#settings.startupTimeoutSeconds,
        );
        const previous = entry.state.slots[slot];
        // Move the router to the new server before the old one stops.
        const routes = entry.state.routes
          ? { ...entry.state.routes }
          : undefined;
        if (routes?.[slot]) {
          routes[slot] = { url: record.endpoint, weight: routes[slot]!.weight };
          try {
            await this.#pushRoutesIfRouterRuns(entry, routes);
          } catch (e) {
            await this.#stopPid(
              record.pid,
              `${modelId}/${slot} version ${version}`,
            );
            throw new Error(
              `Started ${modelId} slot ${slot} version ${version} but could not switch the router to it: ${describeError(
                e,
              )}`,
            );
          }
          entry.state.routes = routes;
        }
        entry.state.slots[slot] = record;
        await this.#save(entry);
        this.#logger.info(
          `Deployed ${modelId} slot ${slot} version ${version} at ${record.endpoint} (pid ${record.pid})`,
        );
        if (previous && previous.pid !== record.pid) {
          await this.#stopRecorded(
            previous.pid,
            previous.command,
            `${modelId}/${slot} version ${previous.version}`,
          );
        }
        return { endpoint: record.endpoint };
      } finally {
        entry.starting.delete(slot);
      }
    });
  }

  async undeploy(request: {
    model: RuntimeModelRef;
    slot: SlotName;
  }): Promise<void> {
    const modelId = checkModelId(request.model.modelId);
    const slot = checkSlot(request.slot);
    await this.#init();
    const entry = this.#models.get(modelId);
    if (!entry) {
      return;
    }
    await this.#withLock(entry, async () => {
      const record = entry.state.slots[slot];
      if (entry.state.routes?.[slot]) {
        const weight = entry.state.routes[slot]!.weight;
        if (weight > 0) {
          this.#logger.warn(
            `Undeploying ${modelId} slot ${slot} while it had ${weight}% of the traffic`,
          );
        }
        const routes = { ...entry.state.routes };
        delete routes[slot];
        await this.#pushRoutesIfRouterRuns(entry, routes);
        entry.state.routes = routes;
      }
      if (!record) {
        await this.#save(entry);
        return;
      }
      delete entry.state.slots[slot];
      await this.#save(entry);
      await this.#stopRecorded(
        record.pid,
        record.command,
        `${modelId}/${slot} version ${record.version}`,
      );
      this.#logger.info(
        `Undeployed ${modelId} slot ${slot} (pid ${record.pid})`,
      );
    });
  }

  async setTraffic(request: {
    model: RuntimeModelRef;
    weights: TrafficWeights;
  }): Promise<void> {
    this.#assertOpen();
    const modelId = checkModelId(request.model.modelId);
    const weights = this.#checkWeights(modelId, request.weights);
    await this.#init();
    const entry = await this.#entry(modelId, request.model.entityRef);
    await this.#withLock(entry, async () => {
      this.#assertOpen();
      const routes: Partial<Record<SlotName, RouteEntry>> = {};
      for (const [slot, weight] of Object.entries(weights) as Array<
        [SlotName, number]
      >) {
        const record = entry.state.slots[slot];
        const running = record && isAlive(record.pid);
        if (!running) {
          if (weight > 0) {
            const deployed = SLOT_NAMES.filter(s => entry.state.slots[s]);
            throw new InputError(
              `Invalid traffic weights for ${modelId}: slot ${slot} is not deployed (deployed: ${
                deployed.join(', ') || 'none'
              })`,
            );
          }
          continue;
        }
        routes[slot] = { url: record.endpoint, weight };
      }
      await this.#ensureRouter(entry);
      await this.#putRoutes(entry, routes);
      entry.state.routes = routes;
      await this.#save(entry);
      this.#logger.info(
        `Traffic of ${modelId}: ${Object.entries(routes)
          .map(([s, r]) => `${s} ${r!.weight}%`)
          .join(', ')}`,
      );
    });
  }

  async getTraffic(request: {
    model: RuntimeModelRef;
  }): Promise<TrafficWeights> {
    const modelId = checkModelId(request.model.modelId);
    await this.#init();
    const entry = this.#models.get(modelId);
    if (!entry?.state.router) {
      return {};
    }
    const table = await this.#readRoutes(entry);
    const weights: TrafficWeights = {};
    for (const [slot, route] of Object.entries(table ?? {})) {
      if ((SLOT_NAMES as readonly string[]).includes(slot)) {
        weights[slot as SlotName] = route!.weight;
      }
    }
    return weights;
  }

  async health(request: {
    model: RuntimeModelRef;
    slot: SlotName;
  }): Promise<SlotHealth> {
    const modelId = checkModelId(request.model.modelId);
    const slot = checkSlot(request.slot);
    await this.#init();
    const entry = this.#models.get(modelId);
    return this.#slotHealth(entry, slot);
  }

  async describe(request: {
    model: RuntimeModelRef;
  }): Promise<RuntimeDescription> {
    const modelId = checkModelId(request.model.modelId);
    await this.#init();
    const entry = this.#models.get(modelId);
    if (!entry) {
      return { slots: [], traffic: {} };
    }
    const slots: RuntimeDescription['slots'] = [];
    for (const slot of SLOT_NAMES) {
      const record = entry.state.slots[slot];
      const starting = entry.starting.get(slot);
      if (!record && !starting) {
        continue;
      }
      const health = await this.#slotHealth(entry, slot);
      const details: JsonObject = {
        logFile: this.#logPath(modelId, slot),
      };
      if (record) {
        details.pid = record.pid;
        details.port = record.port;
        details.startedAt = record.startedAt;
        details.command = record.command;
      }
      if (starting) {
        details.deploying = starting;
      }
      if (health.message) {
        details.message = health.message;
      }
      slots.push({
        slot,
        version: record?.version ?? starting,
        endpoint: record?.endpoint,
        status: health.status,
        details,
      });
    }
    const router = entry.state.router;
    const routerRuns = router && isAlive(router.pid);
    return {
      productionEndpoint: routerRuns
        ? `http://127.0.0.1:${router.port}`
        : undefined,
      slots,
      traffic: await this.getTraffic(request),
    };
  }

  async logs(request: {
    model: RuntimeModelRef;
    slot: SlotName;
    lines: number;
  }): Promise<string[]> {
    const modelId = checkModelId(request.model.modelId);
    const slot = checkSlot(request.slot);
    const lines = Math.max(
      0,
      Math.min(MAX_LOG_LINES, Math.floor(request.lines || 0)),
    );
    await this.#init();
    const file = this.#logPath(modelId, slot);
    await rotateLog(file, this.#settings.logMaxBytes);
    return tailLog(file, lines);
  }

  // ---------------------------------------------------------------------------------------------
  // Lifecycle

  /**
   * Adopts the processes recorded in the state folder. Every method does this first; call it
   * at start-up to restore routers and drop dead entries straight away.
   */
  async start(): Promise<void> {
    await this.#init();
  }

  /**
   * Stops every process this runtime started or adopted, unless `keepRunningOnShutdown` is set,
   * in which case they keep serving and the next instance adopts them. Idempotent.
   */
  shutdown(): Promise<void> {
    if (!this.#closing) {
      this.#closing = this.#shutdown();
    }
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    if (this.#rotateTimer) {
      clearInterval(this.#rotateTimer);
      this.#rotateTimer = undefined;
    }
    if (this.#ready) {
      try {
        await this.#ready;
      } catch {
        // nothing was adopted
      }
    }
    const keep = this.#settings.keepRunningOnShutdown;
    await Promise.all(
      [...this.#models.values()].map(entry =>
        this.#withLock(entry, async () => {
          if (keep) {
            await this.#save(entry);
            return;
          }
          const stops: Array<Promise<unknown>> = [];
          if (entry.state.router) {
            stops.push(
              this.#stopRecorded(
                entry.state.router.pid,
                entry.state.router.command,
                `router of ${entry.modelId}`,
              ),
            );
          }
          for (const slot of SLOT_NAMES) {
            const record = entry.state.slots[slot];
            if (record) {
              stops.push(
                this.#stopRecorded(
                  record.pid,
                  record.command,
                  `${entry.modelId}/${slot} version ${record.version}`,
                ),
              );
            }
          }
          await Promise.all(stops);
          entry.state.router = undefined;
          entry.state.routes = undefined;
          entry.state.slots = {};
          await this.#save(entry);
        }).catch(e =>
          this.#logger.error(
            `Could not stop the processes of ${entry.modelId}: ${e}`,
          ),
        ),
      ),
    );
    if (keep) {
      if (this.#models.size) {
        this.#logger.info(
          'Leaving the local model servers and routers running',
        );
      }
      return;
    }
    // Anything spawned but never recorded.
    await Promise.all(
      [...this.#spawned.keys()].map(pid =>
        this.#stopPid(pid, `process ${pid}`),
      ),
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Slots

  #startSpec(
    modelId: string,
    slot: SlotName,
    artifactPath: string,
    version: string,
    deployment: DeploymentConfig,
  ): StartSpec {
    const server = this.#settings.server;
    const replace = (arg: string) =>
      arg
        .replace(/\{artifact\}/g, artifactPath)
        .replace(/\{port\}/g, '0')
        .replace(/\{modelId\}/g, modelId)
        .replace(/\{version\}/g, version)
        .replace(/\{slot\}/g, slot);
    const env: Record<string, string> = {};
    for (const name of INHERITED_ENV) {
      if (process.env[name] !== undefined) {
        env[name] = process.env[name]!;
      }
    }
    Object.assign(env, server.env, deployment.env, {
      MODEL_OPS_MODEL_ID: modelId,
      MODEL_OPS_SLOT: slot,
      MODEL_OPS_VERSION: version,
    });
    const args = server.args.map(replace);
    const hash = crypto
      .createHash('sha256')
      .update(
        JSON.stringify({
          command: server.command,
          args,
          cwd: server.cwd,
          env: Object.entries(env).sort(),
          artifactPath,
          version,
        }),
      )
      .digest('hex');
    return {
      command: server.command,
      args,
      cwd: server.cwd,
      env,
      artifactPath,
      version,
      hash,
    };
  }

  async #startSlot(
    entry: ModelEntry,
    slot: SlotName,
    spec: StartSpec,
    timeoutSeconds: number,
  ): Promise<SlotRecord> {
    const { modelId } = entry;
    const logPath = this.#logPath(modelId, slot);
    await rotateLog(logPath, this.#settings.logMaxBytes);
    const startedAt = this.#clock();
    await fsp.appendFile(
      logPath,
      `[model-ops] ${startedAt.toISOString()} starting ${modelId} slot ${slot} version ${
        spec.version
      }: ${[spec.command, ...spec.args].join(' ')}\n`,
      { mode: 0o600 },
    );
    const offset = (await fsp.stat(logPath)).size;
    const fail = async (reason: string, pid?: number): Promise<never> => {
      if (pid) {
        await this.#stopPid(pid, `${modelId}/${slot} version ${spec.version}`);
      }
      const lines = await this.#linesSince(logPath, offset, FAILURE_LOG_LINES);
      throw new Error(
        `Could not start ${modelId} slot ${slot} version ${
          spec.version
        }: ${reason}. ${
          lines.length
            ? `Last log lines:\n${lines.join('\n')}`
            : `The server wrote nothing to ${logPath}.`
        }`,
      );
    };
    if (
      spec.command === process.execPath &&
      spec.args[0] &&
      !fs.existsSync(spec.args[0])
    ) {
      return fail(
        `the model server ${spec.args[0]} does not exist; set modelOps.local.server.command and .args`,
      );
    }

    let proc: SpawnedProcess;
    try {
      proc = await this.#spawn({
        command: spec.command,
        args: spec.args,
        cwd: spec.cwd,
        env: spec.env,
        logPath,
      });
    } catch (e) {
      return fail(describeError(e));
    }
    const deadline = Date.now() + timeoutSeconds * 1000;
    try {
      const line = await waitForListeningLine({
        logPath,
        offset,
        deadline,
        process: proc,
      });
      // Servers are started on loopback only, whatever host they print.
      const endpoint = `http://127.0.0.1:${line.port}`;
      await this.#waitHealthy(endpoint, spec.version, deadline, proc);
      return {
        slot,
        pid: proc.pid,
        port: line.port,
        endpoint,
        version: spec.version,
        startedAt: startedAt.toISOString(),
        command: [spec.command, ...spec.args],
        artifactPath: spec.artifactPath,
        specHash: spec.hash,
      };
    } catch (e) {
      return fail(describeError(e), proc.pid);
    }
  }

  async #waitHealthy(
    endpoint: string,
    version: string,
    deadline: number,
    proc: SpawnedProcess,
  ): Promise<void> {
    let last = 'no answer yet';
    for (;;) {
      if (proc.hasExited()) {
        const info = await proc.exited;
        throw new Error(
          `the process exited before it was healthy (${
            info.signal ? `signal ${info.signal}` : `exit code ${info.code}`
          })`,
        );
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new Error(
          `timed out waiting for a healthy ${endpoint}/healthz (${last})`,
        );
      }
      try {
        const answer = await requestJson({
          url: `${endpoint}/healthz`,
          timeoutMs: Math.min(remaining, this.#settings.healthTimeoutMs),
        });
        const reported =
          answer.body?.version ?? answer.headers['x-model-version'];
        if (answer.status === 200 && reported === version) {
          return;
        }
        if (answer.status === 200 && reported !== undefined) {
          // Not worth waiting for: the server holds another version.
          throw Object.assign(
            new Error(
              `the server reports version ${reported}, expected ${version}`,
            ),
            { fatal: true },
          );
        }
        last = `last answer: status ${answer.status}`;
      } catch (e) {
        if ((e as { fatal?: boolean }).fatal) {
          throw e;
        }
        last = `last error: ${describeError(e)}`;
      }
      await Promise.race([
        delay(Math.min(50, Math.max(0, remaining))),
        proc.exited,
      ]);
    }
  }

  async #slotAnswers(record: SlotRecord): Promise<boolean> {
    try {
      const answer = await requestJson({
        url: `${record.endpoint}/healthz`,
        timeoutMs: this.#settings.healthTimeoutMs,
      });
      const reported =
        answer.body?.version ?? answer.headers['x-model-version'];
      return answer.status === 200 && reported === record.version;
    } catch {
      return false;
    }
  }

  async #slotHealth(
    entry: ModelEntry | undefined,
    slot: SlotName,
  ): Promise<SlotHealth> {
    const record = entry?.state.slots[slot];
    const starting = entry?.starting.get(slot);
    if (!record) {
      return starting
        ? {
            slot,
            status: 'starting',
            version: starting,
            message: `Starting version ${starting}`,
            checkedAt: this.#clock(),
          }
        : { slot, status: 'absent', checkedAt: this.#clock() };
    }
    const base = { slot, version: record.version };
    if (!isAlive(record.pid)) {
      return {
        ...base,
        status: 'unhealthy',
        message: `The model server process ${record.pid} is not running`,
        checkedAt: this.#clock(),
      };
    }
    try {
      const answer = await requestJson({
        url: `${record.endpoint}/healthz`,
        timeoutMs: this.#settings.healthTimeoutMs,
      });
      const reported =
        answer.body?.version ?? answer.headers['x-model-version'];
      if (answer.status !== 200 || answer.body?.status !== 'ok') {
        return {
          ...base,
          status: 'unhealthy',
          message: `GET /healthz answered ${answer.status}${
            answer.body?.status ? ` (${answer.body.status})` : ''
          }`,
          checkedAt: this.#clock(),
        };
      }
      if (reported !== record.version) {
        return {
          ...base,
          status: 'unhealthy',
          message: `The server reports version ${reported}, expected ${record.version}`,
          checkedAt: this.#clock(),
        };
      }
      return {
        ...base,
        status: 'healthy',
        message: starting ? `Deploying version ${starting}` : undefined,
        checkedAt: this.#clock(),
      };
    } catch (e) {
      return {
        ...base,
        status: 'unhealthy',
        message: `GET /healthz failed: ${describeError(e)}`,
        checkedAt: this.#clock(),
      };
    }
  }

  async #artifactPath(artifact: ModelArtifact): Promise<string> {
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

  // ---------------------------------------------------------------------------------------------
  // Traffic and the router

  #checkWeights(modelId: string, weights: TrafficWeights): Record<SlotName, number> {
    return checkTrafficWeights(modelId, weights) as Record<SlotName, number>;
  }

  async #routerRequest(
    entry: ModelEntry,
    method: string,
    what: 'routes' | 'healthz',
    body?: unknown,
  ) {
    const router = entry.state.router;
    if (!router) {
      throw new Error(`The router of ${entry.modelId} is not running`);
    }
    return requestJson({
      url: `http://127.0.0.1:${router.port}/__model-ops/${what}`,
      method,
      body,
      headers: { [ROUTER_TOKEN_HEADER]: this.#token },
      timeoutMs: ROUTER_ADMIN_TIMEOUT_MS,
    });
  }

  async #routerAnswers(entry: ModelEntry): Promise<boolean> {
    try {
      const answer = await this.#routerRequest(entry, 'GET', 'healthz');
      return answer.status === 200 && answer.body?.modelId === entry.modelId;
    } catch {
      return false;
    }
  }

  async #readRoutes(
    entry: ModelEntry,
  ): Promise<Partial<Record<string, RouteEntry>> | undefined> {
    try {
      const answer = await this.#routerRequest(entry, 'GET', 'routes');
      return answer.status === 200 ? answer.body?.upstreams ?? {} : undefined;
    } catch {
      return undefined;
    }
  }

  async #putRoutes(
    entry: ModelEntry,
    routes: Partial<Record<SlotName, RouteEntry>>,
  ): Promise<void> {
    const answer = await this.#routerRequest(entry, 'PUT', 'routes', {
      upstreams: routes,
    });
    if (answer.status !== 200) {
      throw new Error(
        `The router of ${entry.modelId} refused the routes: ${answer.status} ${
          answer.body?.error ?? answer.text
        }`,
      );
    }
    if (!sameRoutes(answer.body?.upstreams, routes)) {
      throw new Error(
        `The router of ${entry.modelId} applied other routes than sent: ${answer.text}`,
      );
    }
  }

  async #pushRoutesIfRouterRuns(
    entry: ModelEntry,
    routes: Partial<Record<SlotName, RouteEntry>>,
  ): Promise<void> {
    const router = entry.state.router;
    if (router && isAlive(router.pid)) {
      await this.#putRoutes(entry, routes);
    }
  }

  async #ensureRouter(entry: ModelEntry): Promise<RouterRecord> {
    const current = entry.state.router;
    if (current && isAlive(current.pid) && (await this.#routerAnswers(entry))) {
      return current;
    }
    if (current) {
      if (isAlive(current.pid) && this.#isOurs(current.pid, current.command)) {
        await this.#stopPid(
          current.pid,
          `unresponsive router of ${entry.modelId}`,
        );
      }
      entry.state.router = undefined;
      await this.#save(entry);
    }
    const configured = this.#settings.routerPorts[entry.modelId];
    for (let attempt = 1; ; attempt++) {
      const port = configured ?? (await this.#allocateRouterPort(entry));
      entry.state.routerPort = port;
      await this.#save(entry);
      try {
        const record = await this.#startRouter(entry, port);
        entry.state.router = record;
        await this.#save(entry);
        return record;
      } catch (e) {
        const inUse = /EADDRINUSE/.test(describeError(e));
        if (configured !== undefined || !inUse || attempt >= 3) {
          throw e;
        }
        this.#logger.warn(
          `Router port ${port} of ${entry.modelId} was taken; picking another`,
        );
        entry.state.routerPort = undefined;
      }
    }
  }

  async #allocateRouterPort(entry: ModelEntry): Promise<number> {
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
    for (const other of this.#models.values()) {
      if (other !== entry && other.state.routerPort) {
        taken.add(other.state.routerPort);
      }
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

  async #startRouter(entry: ModelEntry, port: number): Promise<RouterRecord> {
    const logPath = path.join(entry.dir, 'router.log');
    await rotateLog(logPath, this.#settings.logMaxBytes);
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
      path.join(this.#settings.stateDir, ROUTER_TOKEN_FILE),
    ];
    await fsp.appendFile(
      logPath,
      `[model-ops] ${startedAt.toISOString()} starting the router of ${
        entry.modelId
      } on port ${port}\n`,
      { mode: 0o600 },
    );
    const offset = (await fsp.stat(logPath)).size;
    const env: Record<string, string> = {};
    for (const name of INHERITED_ENV) {
      if (process.env[name] !== undefined) {
        env[name] = process.env[name]!;
      }
    }
    const proc = await this.#spawn({
      command: process.execPath,
      args,
      cwd: this.#settings.stateDir,
      env,
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
      entry.state.router = record;
      if (!(await this.#routerAnswers(entry))) {
        throw new Error('the router does not answer its health check');
      }
      this.#logger.info(
        `Started the router of ${entry.modelId} at http://127.0.0.1:${line.port} (pid ${proc.pid})`,
      );
      return record;
    } catch (e) {
      entry.state.router = undefined;
      await this.#stopPid(proc.pid, `router of ${entry.modelId}`);
      const lines = await this.#linesSince(logPath, offset, FAILURE_LOG_LINES);
      throw new Error(
        `Could not start the router of ${
          entry.modelId
        } on port ${port}: ${describeError(e)}. Last log lines:\n${lines.join(
          '\n',
        )}`,
      );
    }
  }

  // ---------------------------------------------------------------------------------------------
  // State, processes, logs

  async #init(): Promise<void> {
    if (!this.#ready) {
      this.#ready = this.#initialize().catch(e => {
        this.#ready = undefined;
        throw e;
      });
    }
    return this.#ready;
  }

  async #initialize(): Promise<void> {
    const stateDir = this.#settings.stateDir;
    await fsp.mkdir(stateDir, { recursive: true, mode: 0o700 });
    this.#token = await this.#loadToken();
    const names = await fsp.readdir(stateDir, { withFileTypes: true });
    for (const dirent of names) {
      if (!dirent.isDirectory() || !MODEL_ID_PATTERN.test(dirent.name)) {
        continue;
      }
      const dir = path.join(stateDir, dirent.name);
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
      this.#models.set(state.modelId, {
        modelId: state.modelId,
        dir,
        state,
        lock: Promise.resolve(),
        starting: new Map(),
      });
    }
    // All models are loaded first, so that a restored router cannot take another's port.
    for (const entry of this.#models.values()) {
      await this.#rediscover(entry);
    }
    this.#rotateTimer = setInterval(() => {
      this.#rotateAll().catch(e =>
        this.#logger.warn(`Could not rotate logs: ${e}`),
      );
    }, LOG_ROTATE_INTERVAL_MS);
    this.#rotateTimer.unref();
  }

  /** Adopts the live processes of a model's state file and drops the dead ones. */
  async #rediscover(entry: ModelEntry): Promise<void> {
    const { state, modelId } = entry;
    for (const slot of SLOT_NAMES) {
      const record = state.slots[slot];
      if (!record) {
        continue;
      }
      if (isAlive(record.pid) && (await this.#slotAnswers(record))) {
        this.#logger.info(
          `Adopted ${modelId} slot ${slot} version ${record.version} (pid ${record.pid}, ${record.endpoint})`,
        );
        continue;
      }
      if (isAlive(record.pid) && this.#isOurs(record.pid, record.command)) {
        this.#logger.warn(
          `Stopping ${modelId} slot ${slot} (pid ${record.pid}): it runs but does not answer /healthz with version ${record.version}`,
        );
        await this.#stopPid(record.pid, `${modelId}/${slot}`);
      } else {
        this.#logger.info(
          `Dropping ${modelId} slot ${slot}: process ${record.pid} is gone`,
        );
      }
      delete state.slots[slot];
    }
    if (state.router) {
      const router = state.router;
      if (!(isAlive(router.pid) && (await this.#routerAnswers(entry)))) {
        if (isAlive(router.pid) && this.#isOurs(router.pid, router.command)) {
          await this.#stopPid(router.pid, `unresponsive router of ${modelId}`);
        }
        this.#logger.info(
          `Dropping the router of ${modelId}: process ${router.pid} is gone`,
        );
        state.router = undefined;
      } else {
        this.#logger.info(
          `Adopted the router of ${modelId} (pid ${router.pid}, port ${router.port})`,
        );
      }
    }
    // The routes can only point at servers that still run.
    if (state.routes) {
      const live: Partial<Record<SlotName, RouteEntry>> = {};
      for (const [slot, route] of Object.entries(state.routes) as Array<
        [SlotName, RouteEntry]
      >) {
        const record = state.slots[slot];
        if (record) {
          live[slot] = { url: record.endpoint, weight: route.weight };
        }
      }
      const hasTraffic = Object.values(live).some(r => r!.weight > 0);
      try {
        if (state.router) {
          const applied = await this.#readRoutes(entry);
          if (!sameRoutes(applied, live)) {
            await this.#putRoutes(entry, live);
          }
        } else if (hasTraffic) {
          await this.#ensureRouter(entry);
          await this.#putRoutes(entry, live);
          this.#logger.info(`Restored the router of ${modelId}`);
        }
        state.routes = live;
      } catch (e) {
        this.#logger.error(`Could not restore the routes of ${modelId}: ${e}`);
      }
    }
    await this.#save(entry);
  }

  async #entry(modelId: string, entityRef?: string): Promise<ModelEntry> {
    let entry = this.#models.get(modelId);
    if (!entry) {
      const dir = path.join(this.#settings.stateDir, modelId);
      await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
      entry = {
        modelId,
        dir,
        state: emptyState(modelId),
        lock: Promise.resolve(),
        starting: new Map(),
      };
      this.#models.set(modelId, entry);
    }
    if (entityRef && entry.state.entityRef !== entityRef) {
      entry.state.entityRef = entityRef;
    }
    return entry;
  }

  #withLock<T>(entry: ModelEntry, fn: () => Promise<T>): Promise<T> {
    const result = entry.lock.then(fn);
    entry.lock = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  async #save(entry: ModelEntry): Promise<void> {
    entry.state.updatedAt = this.#clock().toISOString();
    await writeState(entry.dir, entry.state);
  }

  async #loadToken(): Promise<string> {
    const file = path.join(this.#settings.stateDir, ROUTER_TOKEN_FILE);
    try {
      const handle = await fsp.open(file, 'wx', 0o600);
      const token = crypto.randomBytes(32).toString('hex');
      try {
        await handle.writeFile(`${token}\n`);
      } finally {
        await handle.close();
      }
      return token;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw e;
      }
    }
    await fsp.chmod(file, 0o600);
    const token = (await fsp.readFile(file, 'utf8')).trim();
    if (token.length < 32) {
      throw new Error(
        `The router token in ${file} is too short; delete the file to renew it`,
      );
    }
    return token;
  }

  async #spawn(
    options: Parameters<typeof spawnDetached>[0],
  ): Promise<SpawnedProcess> {
    const proc = await spawnDetached(options);
    this.#spawned.set(proc.pid, proc);
    proc.exited.then(() => this.#spawned.delete(proc.pid));
    return proc;
  }

  /** Whether a live process is one the runtime started with this command line. */
  #isOurs(pid: number, command: string[]): boolean {
    const actual = readCommandLine(pid);
    return !!actual && actual.join('\0') === command.join('\0');
  }

  /**
   * Stops the process group of a recorded process, unless its pid now belongs to another
   * program (a live leader with another command line). A group whose leader is gone is still
   * ours: Linux does not reuse a pid while a group of that id exists.
   */
  async #stopRecorded(
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
    await this.#stopPid(pid, what);
  }

  async #stopPid(pid: number, what: string): Promise<void> {
    const stopped = await stopProcessGroup(
      pid,
      this.#settings.stopTimeoutSeconds * 1000,
    );
    if (!stopped) {
      this.#logger.error(`Could not stop ${what} (process group ${pid})`);
    }
  }

  #logPath(modelId: string, slot: SlotName): string {
    return path.join(this.#settings.stateDir, modelId, `${slot}.log`);
  }

  async #linesSince(
    file: string,
    offset: number,
    lines: number,
  ): Promise<string[]> {
    try {
      const handle = await fsp.open(file, 'r');
      try {
        const size = (await handle.stat()).size;
        const start = size >= offset ? Math.max(offset, size - 64 * 1024) : 0;
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

  async #rotateAll(): Promise<void> {
    for (const entry of this.#models.values()) {
      if (entry.starting.size) {
        continue;
      }
      for (const slot of SLOT_NAMES) {
        await rotateLog(
          this.#logPath(entry.modelId, slot),
          this.#settings.logMaxBytes,
        );
      }
      await rotateLog(
        path.join(entry.dir, 'router.log'),
        this.#settings.logMaxBytes,
      );
    }
  }

  #assertOpen() {
    if (this.#closing) {
      throw new Error('The local runtime is shutting down');
    }
  }
}

/**
 * Creates the `local` runtime from `modelOps.local`; with `lifecycle`, it is shut down with the
 * backend.
 *
 * @public
 */
export function createLocalRuntime(options: {
  config: Config;
  logger: LoggerService;
  lifecycle?: LifecycleService | RootLifecycleService;
  clock?: () => Date;
  /** Where relative paths are resolved; default `process.cwd()`. */
  workingDirectory?: string;
  /** Settings that win over configuration (tests, embedding). */
  overrides?: Partial<LocalRuntimeSettings>;
}): LocalRuntime {
  const settings = readLocalRuntimeSettings(options.config, {
    workingDirectory: options.workingDirectory,
    overrides: options.overrides,
  });
  const runtime = new LocalRuntime({
    settings,
    logger: options.logger,
    clock: options.clock,
  });
  options.lifecycle?.addShutdownHook(() => runtime.shutdown());
  return runtime;
}
