import {
  LoggerService,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import { ConflictError } from '@backstage/errors';
import { SlotName, StageCheck } from '@model-ops/plugin-model-ops-common';
import {
  RuntimeModelRef,
  TrafficWeights,
} from '@model-ops/plugin-model-ops-node';
import { randomUUID } from 'node:crypto';
import { PluginTask } from '../lib/tasks';
import { ModelStore } from '../models';
import { EnvironmentsDeployments } from './EnvironmentsService';
import { RuntimeOf, SwitchRecovery } from './SwitchRecovery';
import { SwitchStore } from './SwitchStore';

type Color = 'blue' | 'green';
const other = (color: Color): Color => (color === 'blue' ? 'green' : 'blue');

const describeWeights = (weights: TrafficWeights) =>
  (['blue', 'green'] as const)
    .map(color => `${color} ${weights[color] ?? 0} %`)
    .join(', ');

/**
 * What one pass of the reconciler did.
 *
 * @internal
 */
export interface ReconcileResult {
  /** The ids of the switches it took over from owners that are gone. */
  takenOver: string[];
  /** The models whose runtime traffic it brought back to the active color. */
  repaired: string[];
}

/**
 * Keeps what the router serves equal to what the database says is active. Each pass first takes
 * over and reverts the switches whose owner's lease ran out, then compares every production
 * model's runtime traffic with its recorded active color (all traffic on it) and repairs any
 * difference, recording the repair in the switch history. Models that a run (a canary too) or a
 * switch is moving traffic for are left alone, and a repair holds the model's one switch in
 * progress while it works, so it never races a switch. Once across replicas (`global`).
 *
 * Models whose active color the runtime has lost entirely are not repaired here: the pipeline's
 * production reconciler deploys them again.
 *
 * @internal
 */
export class TrafficReconciler implements PluginTask {
  readonly id = 'model-ops-environments-reconcile';
  readonly scope = 'global';

  constructor(
    private readonly deps: {
      switches: SwitchStore;
      recovery: SwitchRecovery;
      store: Pick<ModelStore, 'listProductionModels' | 'getSlots'>;
      deployments: Pick<EnvironmentsDeployments, 'activeRun'>;
      runtimeOf: RuntimeOf;
      logger: LoggerService;
      owner: string;
      leaseSeconds: number;
      now?: () => Date;
    },
    readonly schedule: SchedulerServiceTaskScheduleDefinition,
  ) {}

  async run(): Promise<void> {
    await this.reconcile();
  }

  async reconcile(): Promise<ReconcileResult> {
    const takenOver = await this.deps.recovery.recoverExpired({
      runtimeOf: this.deps.runtimeOf,
    });
    const repaired: string[] = [];
    for (const stored of await this.deps.store.listProductionModels()) {
      const active = stored.activeSlot;
      if (active !== 'blue' && active !== 'green') continue;
      const model = { modelId: stored.modelId, entityRef: stored.entityRef };
      try {
        if (await this.repair(model, active, stored.productionVersion)) {
          repaired.push(model.modelId);
        }
      } catch (error) {
        this.deps.logger.warn(
          `Could not reconcile the traffic of ${model.modelId}: ${error}`,
        );
      }
    }
    return { takenOver: takenOver.map(r => r.id), repaired };
  }

  /** Returns whether traffic had to be moved back to the active color. */
  private async repair(
    model: RuntimeModelRef,
    active: Color,
    version: string | undefined,
  ): Promise<boolean> {
    const { switches, deployments, owner, leaseSeconds } = this.deps;
    if (await deployments.activeRun(model.modelId)) return false;
    if (await switches.inProgress(model.modelId)) return false;
    const runtime = await this.deps.runtimeOf(model.modelId, model.entityRef);
    if (!runtime) return false;
    const seen = await runtime.getTraffic({ model });
    if (serves(seen, active)) return false;
    const health = await runtime.health({ model, slot: active });
    if (health.status === 'absent') return false;

    const slots = await this.deps.store.getSlots(model.modelId);
    const weights = { [active]: 100, [other(active)]: 0 };
    let record;
    try {
      // Holding the model's one switch in progress keeps switches (and other reconcilers) out.
      record = await switches.begin({
        id: randomUUID(),
        modelId: model.modelId,
        kind: 'repair',
        from: other(active),
        to: active,
        fromVersion: slots.find(s => s.slot === other(active))?.version,
        toVersion: version,
        reason: `the runtime served ${describeWeights(
          seen,
        )} while ${active} is the active color`,
        weights,
        owner,
        leaseSeconds,
      });
    } catch (error) {
      if (error instanceof ConflictError) return false;
      throw error;
    }
    try {
      // Looked at again inside the lock: a run may have started, or another pass repaired it.
      const now = await runtime.getTraffic({ model });
      if (serves(now, active) || (await deployments.activeRun(model.modelId))) {
        await switches.discard(record.id, owner);
        return false;
      }
      await runtime.setTraffic({ model, weights });
      await switches.close(record.id, [this.check(true, now, active)], owner);
      this.deps.logger.info(
        `Repaired the traffic of ${
          model.modelId
        }: the runtime served ${describeWeights(now)}, ${active} is active`,
      );
      return true;
    } catch (error) {
      await switches
        .fail(record.id, {
          status: 'failed',
          error: `repair failed: ${error}`,
          checks: [this.check(false, undefined, active, String(error))],
          owner,
        })
        .catch(() => undefined);
      throw error;
    }
  }

  private check(
    ok: boolean,
    seen: TrafficWeights | undefined,
    active: SlotName,
    failure?: string,
  ): StageCheck {
    return {
      name: 'repair',
      ok,
      detail: ok
        ? `traffic was ${describeWeights(seen ?? {})}; now 100 % to ${active}`
        : `returning all traffic to ${active} failed: ${failure}`,
      at: (this.deps.now?.() ?? new Date()).toISOString(),
    };
  }
}

/** Whether the weights send all traffic to `active`. */
function serves(weights: TrafficWeights, active: Color): boolean {
  return (weights[active] ?? 0) === 100 && (weights[other(active)] ?? 0) === 0;
}
