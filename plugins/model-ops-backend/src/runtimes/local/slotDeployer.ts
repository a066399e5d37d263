import { LoggerService } from '@backstage/backend-plugin-api';
import { SlotName } from '@model-ops/plugin-model-ops-common';
import { RuntimeEndpoint } from '@model-ops/plugin-model-ops-node';
import { ModelEntry, ModelStates } from './modelStates';
import { describeError, isAlive } from './processes';
import { RouterClient } from './routerClient';
import { SlotProcesses, StartSpec } from './slots';
import { ProcessSupervisor } from './supervisor';

/**
 * Puts a version into a slot, and takes it out, without a gap in the traffic the slot serves:
 * the new server starts beside the old one, the router moves to it, then the old one stops.
 * Callers hold the model's lock.
 *
 * @internal
 */
export class SlotDeployer {
  readonly #logger: LoggerService;
  readonly #states: ModelStates;
  readonly #supervisor: ProcessSupervisor;
  readonly #slots: SlotProcesses;
  readonly #routerClient: RouterClient;

  constructor(options: {
    logger: LoggerService;
    states: ModelStates;
    supervisor: ProcessSupervisor;
    slots: SlotProcesses;
    routerClient: RouterClient;
  }) {
    this.#logger = options.logger;
    this.#states = options.states;
    this.#supervisor = options.supervisor;
    this.#slots = options.slots;
    this.#routerClient = options.routerClient;
  }

  /**
   * Runs `spec` in the slot. A server that already runs the same spec and answers is kept, so
   * that deploying again (or after a backend restart) starts no duplicate.
   */
  async deploy(
    entry: ModelEntry,
    slot: SlotName,
    spec: StartSpec,
    timeoutSeconds: number,
  ): Promise<RuntimeEndpoint> {
    const { modelId } = entry;
    const { version } = spec;
    const existing = entry.state.slots[slot];
    if (
      existing &&
      existing.version === version &&
      existing.specHash === spec.hash &&
      isAlive(existing.pid) &&
      (await this.#slots.answers(existing))
    ) {
      return { endpoint: existing.endpoint };
    }

    entry.starting.set(slot, version);
    try {
      const record = await this.#slots.start(
        modelId,
        slot,
        spec,
        timeoutSeconds,
      );
      const previous = entry.state.slots[slot];
      // Move the router to the new server before the old one stops.
      const routes = entry.state.routes ? { ...entry.state.routes } : undefined;
      if (routes?.[slot]) {
        routes[slot] = { url: record.endpoint, weight: routes[slot]!.weight };
        try {
          await this.#routerClient.putRoutesIfRunning(entry, routes);
        } catch (e) {
          await this.#supervisor.stop(
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
      await this.#states.save(entry);
      this.#logger.info(
        `Deployed ${modelId} slot ${slot} version ${version} at ${record.endpoint} (pid ${record.pid})`,
      );
      if (previous && previous.pid !== record.pid) {
        await this.#supervisor.stopRecorded(
          previous.pid,
          previous.command,
          `${modelId}/${slot} version ${previous.version}`,
        );
      }
      return { endpoint: record.endpoint };
    } finally {
      entry.starting.delete(slot);
    }
  }

  /** Takes the slot out of the router's table, then stops its server. Idempotent. */
  async undeploy(entry: ModelEntry, slot: SlotName): Promise<void> {
    const { modelId } = entry;
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
      await this.#routerClient.putRoutesIfRunning(entry, routes);
      entry.state.routes = routes;
    }
    if (!record) {
      await this.#states.save(entry);
      return;
    }
    delete entry.state.slots[slot];
    await this.#states.save(entry);
    await this.#supervisor.stopRecorded(
      record.pid,
      record.command,
      `${modelId}/${slot} version ${record.version}`,
    );
    this.#logger.info(`Undeployed ${modelId} slot ${slot} (pid ${record.pid})`);
  }
}
