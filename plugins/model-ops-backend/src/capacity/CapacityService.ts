import {
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { CompoundEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import {
  CapacityPeriod,
  CapacityReport,
  ModelCapacitySummary,
  ModelSpec,
  RuleSet,
} from '@model-ops/plugin-model-ops-common';
import type { ModelIndex, ModelStore } from '../models';
import { HOUR_MS, SlotHour } from './analysis';
import {
  CapacitySeriesReader,
  TOKEN_METRIC,
  VersionSources,
  versionTimeline,
} from './CapacityData';
import { CostModel } from './costs';
import {
  CapacityOptions,
  PERIOD_HOURS,
  buildReport,
  reportWindow,
} from './report';
import type { SeededHistoryStore } from './SeededHistory';
import {
  CapacitySummaryStore,
  SUMMARY_PERIOD,
  summarizeReport,
} from './CapacitySummaries';

/**
 * Capacity planning of a model: usage over a period, bottlenecks, the projection and the
 * recommendations.
 *
 * @internal
 */
export interface CapacityService {
  /** The report over `period` (24h, 7d or 30d; 7d when absent); a 400 naming `period` else. */
  report(
    ref: CompoundEntityRef,
    query: { period?: unknown },
    credentials: BackstageCredentials,
  ): Promise<CapacityReport>;
  /** The {@link SUMMARY_PERIOD} report of a model, summarized for the Model Ops page. */
  summarize(spec: ModelSpec): Promise<ModelCapacitySummary>;
  /** The stored summaries of these models (none without a store). */
  capacitySummaries(
    modelIds: string[],
  ): Promise<Map<string, ModelCapacitySummary>>;
}

const PERIODS = Object.keys(PERIOD_HOURS) as CapacityPeriod[];

/**
 * The {@link CapacityService} on monitoring's stored series, the switch history and slots, and
 * the cost models and rule sets of config.
 *
 * @internal
 */
export class DefaultCapacityService implements CapacityService {
  constructor(
    private readonly deps: {
      models: ModelIndex;
      store: Pick<ModelStore, 'getSlots' | 'getModel'>;
      series: CapacitySeriesReader;
      switches: VersionSources['switches'];
      /** Where demo history is recorded; without it nothing counts as seeded. */
      seeded?: SeededHistoryStore;
      costModels: Map<string, CostModel>;
      ruleSets: Map<string, RuleSet>;
      options: CapacityOptions;
      /** Where summaries for the Model Ops page are stored; written by each 7d report. */
      summaries?: CapacitySummaryStore;
      logger?: LoggerService;
      now?: () => Date;
    },
  ) {}

  async report(
    ref: CompoundEntityRef,
    query: { period?: unknown },
    credentials: BackstageCredentials,
  ): Promise<CapacityReport> {
    const period = (query.period ?? '7d') as CapacityPeriod;
    if (!PERIODS.includes(period)) {
      throw new InputError(`period must be one of ${PERIODS.join(', ')}`);
    }
    // Like the other reads of a model's stored data: shown even when another annotation is bad.
    const { spec, entityRef } = await this.deps.models.resolve(
      ref,
      credentials,
      { lenient: true },
    );
    const report = await this.reportOf(spec, entityRef, period);
    if (period === SUMMARY_PERIOD && this.deps.summaries) {
      // The Model Ops page shows what the owner just saw; a failure here only leaves it older.
      try {
        await this.deps.summaries.put(spec.modelId, summarizeReport(report));
      } catch (error) {
        this.deps.logger?.warn(
          `Could not store the capacity summary of ${spec.modelId}: ${error}`,
        );
      }
    }
    return report;
  }

  async summarize(spec: ModelSpec): Promise<ModelCapacitySummary> {
    return summarizeReport(
      await this.reportOf(spec, spec.entityRef, SUMMARY_PERIOD),
    );
  }

  async capacitySummaries(
    modelIds: string[],
  ): Promise<Map<string, ModelCapacitySummary>> {
    return this.deps.summaries
      ? this.deps.summaries.get(modelIds)
      : new Map<string, ModelCapacitySummary>();
  }

  private async reportOf(
    spec: ModelSpec,
    entityRef: string,
    period: CapacityPeriod,
  ): Promise<CapacityReport> {
    const now = this.deps.now ? this.deps.now() : new Date();
    const { timeZone } = this.deps.options;
    const window = reportWindow(period, now, timeZone);
    const stored = await this.deps.store.getModel(spec.modelId);
    const [rows, versionAt, seeded] = await Promise.all([
      this.deps.series.slotHours(spec.modelId, window.readFrom, now),
      versionTimeline(
        spec.modelId,
        { switches: this.deps.switches, slots: this.deps.store },
        stored?.productionVersion ?? 'unknown',
      ),
      this.deps.seeded?.seededRange(spec.modelId),
    ]);
    const currentHour = Math.floor(now.getTime() / HOUR_MS) * HOUR_MS;
    const slotHours: SlotHour[] = rows
      .filter(r => r.t <= now.getTime())
      .map(r => ({
        slot: r.slot,
        t: r.t,
        fraction:
          r.t === currentHour
            ? Math.min(1, (now.getTime() - currentHour) / HOUR_MS)
            : 1,
        version: versionAt(r.slot, r.t),
        throughput: r.values.throughput,
        cpu: r.values.cpu,
        memory: r.values.memory,
        disk: r.values.disk,
        tokens: r.values[TOKEN_METRIC],
      }));
    const costModel =
      this.deps.costModels.get(spec.costModel) ??
      this.deps.costModels.get('default')!;
    const ruleSet =
      this.deps.ruleSets.get(spec.rules) ?? this.deps.ruleSets.get('default')!;
    return buildReport({
      entityRef,
      period,
      now,
      slotHours,
      costModel,
      ruleSet,
      options: this.deps.options,
      seeded,
    });
  }
}
