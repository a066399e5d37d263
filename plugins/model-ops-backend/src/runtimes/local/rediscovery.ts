import { LoggerService } from '@backstage/backend-plugin-api';
import { SLOT_NAMES } from '@model-ops/plugin-model-ops-common';
import { ModelEntry, ModelStates } from './modelStates';
import { isAlive } from './processes';
import { RouterClient } from './routerClient';
import { RouterProcesses } from './routerProcess';
import { liveRoutes, sameRoutes } from './routes';
import { SlotProcesses } from './slots';
import { ProcessSupervisor } from './supervisor';

/**
 * What rediscovery uses of the runtime.
 *
 * @internal
 */
export interface RediscoveryDeps {
  logger: LoggerService;
  states: ModelStates;
  supervisor: ProcessSupervisor;
  slots: SlotProcesses;
  routers: RouterProcesses;
  routerClient: RouterClient;
}

/** Keeps the slots whose server still serves its recorded version; stops the stuck ones. */
async function rediscoverSlots(
  entry: ModelEntry,
  deps: RediscoveryDeps,
): Promise<void> {
  const { state, modelId } = entry;
  for (const slot of SLOT_NAMES) {
    const record = state.slots[slot];
    if (!record) {
      continue;
    }
    if (isAlive(record.pid) && (await deps.slots.answers(record))) {
      deps.logger.info(
        `Adopted ${modelId} slot ${slot} version ${record.version} (pid ${record.pid}, ${record.endpoint})`,
      );
      continue;
    }
    if (
      isAlive(record.pid) &&
      deps.supervisor.isOurs(record.pid, record.command)
    ) {
      deps.logger.warn(
        `Stopping ${modelId} slot ${slot} (pid ${record.pid}): it runs but does not answer /healthz with version ${record.version}`,
      );
      await deps.supervisor.stop(record.pid, `${modelId}/${slot}`);
    } else {
      deps.logger.info(
        `Dropping ${modelId} slot ${slot}: process ${record.pid} is gone`,
      );
    }
    delete state.slots[slot];
  }
}

/** Keeps the router when it still answers as this model's; stops it when it is stuck. */
async function rediscoverRouter(
  entry: ModelEntry,
  deps: RediscoveryDeps,
): Promise<void> {
  const { state, modelId } = entry;
  const router = state.router;
  if (!router) {
    return;
  }
  if (isAlive(router.pid) && (await deps.routerClient.answers(entry))) {
    deps.logger.info(
      `Adopted the router of ${modelId} (pid ${router.pid}, port ${router.port})`,
    );
    return;
  }
  if (
    isAlive(router.pid) &&
    deps.supervisor.isOurs(router.pid, router.command)
  ) {
    await deps.supervisor.stop(router.pid, `unresponsive router of ${modelId}`);
  }
  deps.logger.info(
    `Dropping the router of ${modelId}: process ${router.pid} is gone`,
  );
  state.router = undefined;
}

/**
 * Brings the router's table in line with the recorded routes of the slots that are left; a
 * router that died while it had traffic is started again (on its remembered port).
 */
async function restoreRoutes(
  entry: ModelEntry,
  deps: RediscoveryDeps,
  trustRouter: boolean,
): Promise<void> {
  const { state, modelId } = entry;
  if (!state.routes) {
    return;
  }
  let live = liveRoutes(state, state.routes);
  const hasTraffic = Object.values(live).some(r => r!.weight > 0);
  try {
    if (state.router) {
      const applied = await deps.routerClient.readRoutes(entry);
      if (trustRouter && applied) {
        // Another live backend may have changed the router a moment before it wrote the
        // state file: the router's table is the truth, less the slots that are gone.
        live = liveRoutes(state, applied as typeof state.routes);
      }
      if (!sameRoutes(applied, live)) {
        await deps.routerClient.putRoutes(entry, live);
      }
    } else if (hasTraffic) {
      await deps.routers.ensure(entry);
      await deps.routerClient.putRoutes(entry, live);
      deps.logger.info(`Restored the router of ${modelId}`);
    }
    state.routes = live;
  } catch (e) {
    deps.logger.error(`Could not restore the routes of ${modelId}: ${e}`);
  }
}

/**
 * Adopts the live processes of a model's state file, after a backend restart or when another
 * backend on the same state folder changed it: servers that still answer `/healthz` with
 * their recorded version and a router that still answers as the model's are kept, the others
 * are stopped (when they are ours) or dropped, and the state file is written back.
 * Callers hold the model's lock.
 *
 * @internal
 */
export async function rediscoverModel(
  entry: ModelEntry,
  deps: RediscoveryDeps,
  options: { trustRouter?: boolean } = {},
): Promise<void> {
  await rediscoverSlots(entry, deps);
  await rediscoverRouter(entry, deps);
  // The routes can only point at servers that still run. A live router's table is kept, less
  // what points at servers that are gone: the state file may lag behind a switch another live
  // backend has just made (also when this backend has just started), and pushing the file's
  // routes back would undo it. Only a router that had to be started again gets the recorded
  // routes.
  await restoreRoutes(entry, deps, options.trustRouter ?? true);
  entry.adopted = true;
  await deps.states.save(entry);
}
