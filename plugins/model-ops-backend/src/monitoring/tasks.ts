import { SchedulerServiceTaskScheduleDefinition } from '@backstage/backend-plugin-api';
import { PluginTask } from '../lib/tasks';
import { HOUR_MS, floorTo } from './dates';
import type { AlertStore } from './AlertStore';
import { MetricsStore } from './MetricsStore';
import { MonitoringService } from './types';

const DAY_MS = 86_400_000;

/**
 * The collection tick: once per interval across all replicas.
 *
 * @internal
 */
export class MonitoringTickTask implements PluginTask {
  readonly id = 'model-ops-monitoring';
  readonly scope = 'global' as const;

  constructor(
    private readonly monitoring: MonitoringService,
    readonly schedule: SchedulerServiceTaskScheduleDefinition,
  ) {}

  async run(): Promise<void> {
    await this.monitoring.tick();
  }
}

/**
 * Rolls up the full hours not rolled up yet (every hour since the newest rolled-up one, so the
 * hours of a downtime are caught up, within the samples' retention), and prunes samples, rollups
 * and resolved alerts past their retention. Safe when two replicas run it: rollups are
 * idempotent and pruning deletes by age.
 *
 * @internal
 */
export class MetricsRetentionTask implements PluginTask {
  readonly id = 'model-ops-metrics-retention';
  readonly scope = 'global' as const;
  readonly schedule: SchedulerServiceTaskScheduleDefinition;

  constructor(
    private readonly deps: {
      metrics: MetricsStore;
      /** Resolved alerts are deleted once they have been resolved for `alertRetentionDays`. */
      alerts?: Pick<AlertStore, 'pruneResolved'>;
      schedule: SchedulerServiceTaskScheduleDefinition;
      retention: {
        sampleRetentionDays: number;
        rollupRetentionDays: number;
        alertRetentionDays?: number;
      };
      now?: () => Date;
    },
  ) {
    this.schedule = deps.schedule;
  }

  async run(): Promise<void> {
    await this.retain();
  }

  /** One run: what it rolled up, and how many samples, rollups and alerts it deleted. */
  async retain(): Promise<{
    rolledUp: Date[];
    samples: number;
    rollups: number;
    alerts: number;
  }> {
    const now = this.deps.now ? this.deps.now() : new Date();
    const { retention } = this.deps;
    const samplesOlderThan = new Date(
      now.getTime() - retention.sampleRetentionDays * DAY_MS,
    );
    const rolledUp = await this.deps.metrics.catchUpRollups({
      notBefore: samplesOlderThan,
      through: new Date(floorTo(now, HOUR_MS).getTime() - HOUR_MS),
    });
    const pruned = await this.deps.metrics.prune({
      samplesOlderThan,
      rollupsOlderThan: new Date(
        now.getTime() - retention.rollupRetentionDays * DAY_MS,
      ),
    });
    // Only alerts resolved before the cutoff: open ones, and their incidents, stay.
    const alerts =
      this.deps.alerts && retention.alertRetentionDays !== undefined
        ? await this.deps.alerts.pruneResolved(
            new Date(now.getTime() - retention.alertRetentionDays * DAY_MS),
          )
        : 0;
    return { rolledUp, ...pruned, alerts };
  }
}
