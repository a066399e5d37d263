import { SchedulerServiceTaskScheduleDefinition } from '@backstage/backend-plugin-api';
import { PluginTask } from '../lib/tasks';
import { HOUR_MS, floorTo } from './dates';
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
 * Rolls the last full hour's samples up and prunes samples and rollups past their retention.
 *
 * @internal
 */
export class MetricsRetentionTask implements PluginTask {
  readonly id = 'model-ops-metrics-retention';
  readonly scope = 'global' as const;

  constructor(
    private readonly metrics: MetricsStore,
    readonly schedule: SchedulerServiceTaskScheduleDefinition,
    private readonly retention: {
      sampleRetentionDays: number;
      rollupRetentionDays: number;
    },
    private readonly now: () => Date = () => new Date(),
  ) {}

  async run(): Promise<void> {
    const now = this.now();
    await this.metrics.rollupHour(
      new Date(floorTo(now, HOUR_MS).getTime() - HOUR_MS),
    );
    await this.metrics.prune({
      samplesOlderThan: new Date(
        now.getTime() - this.retention.sampleRetentionDays * DAY_MS,
      ),
      rollupsOlderThan: new Date(
        now.getTime() - this.retention.rollupRetentionDays * DAY_MS,
      ),
    });
  }
}
