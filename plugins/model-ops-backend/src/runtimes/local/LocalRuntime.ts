import { LoggerService } from '@backstage/backend-plugin-api';
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
import fsp from 'node:fs/promises';
import { checkTrafficWeights } from '../weights';
import {
  LOCAL_DEPLOYMENT_CONFIG_SCHEMA,
  parseDeploymentConfig,
} from './deploymentConfig';
import { clampLogLines, rotateLog, startLogRotation, tailLog } from './logs';
import { ModelEntry, ModelStates } from './modelStates';
import { LocalRuntimeSettings } from './options';
import { isAlive } from './processes';
import { rediscoverModel, RediscoveryDeps } from './rediscovery';
import { checkModelId, checkSlot, resolveArtifactPath } from './requests';
import { RouterClient } from './routerClient';
import { RouterProcesses } from './routerProcess';
import { formatRoutes, routesForWeights, weightsOf } from './routes';
import { SlotDeployer } from './slotDeployer';
import { checkSlotHealth, describeSlot } from './slotStatus';
import { SlotProcesses } from './slots';
import { ProcessSupervisor } from './supervisor';
import { loadRouterToken } from './token';

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

/**
 * The built-in `local` runtime: every slot is a model server child process on this host, and a
 * router process per model spreads production traffic over the slots by weight.
 *
 * Processes run in their own process groups and survive a backend crash; their pids, ports and
 * versions are kept in `<stateDir>/<modelId>/state.json`, and a new instance on the same state
 * folder adopts the ones that still answer `/healthz` with the recorded version.
 *
 * Several backends on one host may share the state folder (replicas): every operation on a
 * model first reloads its state file when another backend changed it, adopting what it names,
 * and every write merges into the file as it is then. They are not mutually excluded: the
 * changes of one model are expected from one backend at a time (deployment runs are fenced by
 * their leases).
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
  readonly #states: ModelStates;
  readonly #supervisor: ProcessSupervisor;
  readonly #slots: SlotProcesses;
  readonly #routerClient: RouterClient;
  readonly #routers: RouterProcesses;
  readonly #deployer: SlotDeployer;
  readonly #rediscovery: RediscoveryDeps;
  #ready?: Promise<void>;
  #token = '';
  #stopLogRotation?: () => void;
  #closing?: Promise<void>;

  constructor(options: LocalRuntimeOptions) {
    const settings = options.settings;
    const logger = options.logger;
    const clock = options.clock ?? (() => new Date());
    this.#settings = settings;
    this.#logger = logger;
    this.#clock = clock;
    this.#states = new ModelStates({
      stateDir: settings.stateDir,
      clock,
      logger,
    });
    this.#supervisor = new ProcessSupervisor({
      logger,
      stopTimeoutSeconds: settings.stopTimeoutSeconds,
    });
    this.#slots = new SlotProcesses({
      settings,
      clock,
      supervisor: this.#supervisor,
    });
    this.#routerClient = new RouterClient({ token: () => this.#token });
    this.#routers = new RouterProcesses({
      settings,
      clock,
      logger,
      supervisor: this.#supervisor,
      states: this.#states,
      client: this.#routerClient,
    });
    this.#deployer = new SlotDeployer({
      logger,
      states: this.#states,
      supervisor: this.#supervisor,
      slots: this.#slots,
      routerClient: this.#routerClient,
    });
    this.#rediscovery = {
      logger,
      states: this.#states,
      supervisor: this.#supervisor,
      slots: this.#slots,
      routers: this.#routers,
      routerClient: this.#routerClient,
    };
  }

  /** The settings in use. */
  get settings(): LocalRuntimeSettings {
    return this.#settings;
  }

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
    const artifactPath = await resolveArtifactPath(request.artifact);
    const version = request.artifact.version;
    if (typeof version !== 'string' || !version) {
      throw new InputError('The artifact has no version');
    }
    await this.#init();
    const entry = await this.#states.open(modelId, request.model.entityRef);
    return this.#states.withLock(entry, async () => {
      this.#assertOpen();
      await this.#sync(entry, request.model.entityRef);
      const spec = this.#slots.startSpec(
        modelId,
        slot,
        artifactPath,
        version,
        deployment,
      );
      return this.#deployer.deploy(
        entry,
        slot,
        spec,
        deployment.startupTimeoutSeconds ??
          this.#settings.startupTimeoutSeconds,
      );
    });
  }

  async undeploy(request: {
    model: RuntimeModelRef;
    slot: SlotName;
  }): Promise<void> {
    const modelId = checkModelId(request.model.modelId);
    const slot = checkSlot(request.slot);
    await this.#init();
    const entry = await this.#states.get(modelId);
    if (!entry) {
      return;
    }
    await this.#states.withLock(entry, async () => {
      await this.#sync(entry);
      await this.#deployer.undeploy(entry, slot);
    });
  }

  async setTraffic(request: {
    model: RuntimeModelRef;
    weights: TrafficWeights;
  }): Promise<void> {
    this.#assertOpen();
    const modelId = checkModelId(request.model.modelId);
    const weights = checkTrafficWeights(modelId, request.weights);
    await this.#init();
    const entry = await this.#states.open(modelId, request.model.entityRef);
    await this.#states.withLock(entry, async () => {
      this.#assertOpen();
      await this.#sync(entry, request.model.entityRef);
      const routes = routesForWeights(modelId, entry.state, weights);
      await this.#routers.ensure(entry);
      await this.#routerClient.putRoutes(entry, routes);
      entry.state.routes = routes;
      await this.#states.save(entry);
      this.#logger.info(`Traffic of ${modelId}: ${formatRoutes(routes)}`);
    });
  }

  async getTraffic(request: {
    model: RuntimeModelRef;
  }): Promise<TrafficWeights> {
    const modelId = checkModelId(request.model.modelId);
    await this.#init();
    return this.#trafficOf(await this.#read(modelId));
  }

  async health(request: {
    model: RuntimeModelRef;
    slot: SlotName;
  }): Promise<SlotHealth> {
    const modelId = checkModelId(request.model.modelId);
    const slot = checkSlot(request.slot);
    await this.#init();
    return checkSlotHealth(
      await this.#read(modelId),
      slot,
      this.#healthOptions(),
    );
  }

  async describe(request: {
    model: RuntimeModelRef;
  }): Promise<RuntimeDescription> {
    const modelId = checkModelId(request.model.modelId);
    await this.#init();
    const entry = await this.#read(modelId);
    if (!entry) {
      return { slots: [], traffic: {} };
    }
    const slots: RuntimeDescription['slots'] = [];
    for (const slot of SLOT_NAMES) {
      const description = await describeSlot(entry, slot, {
        ...this.#healthOptions(),
        logFile: this.#slots.logPath(modelId, slot),
      });
      if (description) {
        slots.push(description);
      }
    }
    const router = entry.state.router;
    const routerRuns = router && isAlive(router.pid);
    return {
      productionEndpoint: routerRuns
        ? `http://127.0.0.1:${router.port}`
        : undefined,
      slots,
      traffic: await this.#trafficOf(entry),
    };
  }

  async logs(request: {
    model: RuntimeModelRef;
    slot: SlotName;
    lines: number;
  }): Promise<string[]> {
    const modelId = checkModelId(request.model.modelId);
    const slot = checkSlot(request.slot);
    const lines = clampLogLines(request.lines);
    await this.#init();
    const file = this.#slots.logPath(modelId, slot);
    await rotateLog(file, this.#settings.logMaxBytes);
    return tailLog(file, lines);
  }

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
    if (this.#ready) {
      try {
        await this.#ready;
      } catch {
        // nothing was adopted
      }
    }
    // After the start-up: a start-up under way starts the rotation when it ends.
    this.#stopLogRotation?.();
    this.#stopLogRotation = undefined;
    const keep = this.#settings.keepRunningOnShutdown;
    const entries = this.#states.all();
    await Promise.all(
      entries.map(entry =>
        this.#states
          .withLock(entry, async () => {
            // What the state file names now, other backends' changes included.
            await this.#states.reload(entry);
            await (keep ? this.#states.save(entry) : this.#stopModel(entry));
          })
          .catch(e =>
            this.#logger.error(
              `Could not stop the processes of ${entry.modelId}: ${e}`,
            ),
          ),
      ),
    );
    if (keep) {
      if (entries.length) {
        this.#logger.info(
          'Leaving the local model servers and routers running',
        );
      }
      return;
    }
    // Anything spawned but never recorded.
    await this.#supervisor.stopAllSpawned();
  }

  /** Stops the router and the servers of a model and clears them from its state file. */
  async #stopModel(entry: ModelEntry): Promise<void> {
    await this.#supervisor.stopModelProcesses(entry.modelId, entry.state);
    entry.state.router = undefined;
    entry.state.routes = undefined;
    entry.state.slots = {};
    await this.#states.save(entry);
  }

  /**
   * Brings a model's state up to date before a change (under its lock): the state file when
   * another backend wrote it, with the processes it names adopted (see
   * {@link rediscoverModel}).
   */
  async #sync(entry: ModelEntry, entityRef?: string): Promise<void> {
    await this.#states.reload(entry);
    if (!entry.adopted) {
      await rediscoverModel(entry, this.#rediscovery, {
        trustRouter: true,
      });
      entry.changedElsewhere = false;
    }
    if (entityRef && entry.state.entityRef !== entityRef) {
      entry.state.entityRef = entityRef;
    }
  }

  /**
   * The entry of a model for a read, with the state file another backend wrote since; reads
   * neither wait for the model's lock nor change anything.
   */
  async #read(modelId: string): Promise<ModelEntry | undefined> {
    const entry = await this.#states.get(modelId);
    if (entry) {
      await this.#states.reloadIfIdle(entry);
    }
    return entry;
  }

  async #trafficOf(entry: ModelEntry | undefined): Promise<TrafficWeights> {
    if (!entry?.state.router) {
      return {};
    }
    return weightsOf(await this.#routerClient.readRoutes(entry));
  }

  #healthOptions() {
    return {
      clock: this.#clock,
      healthTimeoutMs: this.#settings.healthTimeoutMs,
    };
  }

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
    this.#token = await loadRouterToken(stateDir);
    // All models are loaded first, so that a restored router cannot take another's port.
    for (const entry of await this.#states.load()) {
      await this.#states.withLock(entry, () =>
        rediscoverModel(entry, this.#rediscovery),
      );
    }
    this.#stopLogRotation = startLogRotation({
      stateDir,
      maxBytes: this.#settings.logMaxBytes,
      logger: this.#logger,
      models: () => this.#states.all(),
    });
  }

  #assertOpen() {
    if (this.#closing) {
      throw new Error('The local runtime is shutting down');
    }
  }
}
