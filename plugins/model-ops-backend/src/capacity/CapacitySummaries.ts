import {
  LoggerService,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import {
  CapacityPeriod,
  CapacityReport,
  ModelCapacitySummary,
  ModelSpec,
} from '@model-ops/plugin-model-ops-common';
import { Knex } from 'knex';
import { PluginTask } from '../lib/tasks';
import { DbDate, fromJson, toDate } from '../lib/rows';

/**
 * The period the Model Ops page summarizes: the Capacity tab's default, long enough for a
 * projection (its fit reads at least 7 days) and quick to compute.
 *
 * @internal
 */
export const SUMMARY_PERIOD: CapacityPeriod = '7d';

/**
 * What the Model Ops page shows of a report: the projected cost of the next 30 days (the
 * projection's 30-day horizon, else the period's cost per day times 30) and the first
 * recommendation (the report lists them highest priority first).
 *
 * @internal
 */
export function summarizeReport(report: CapacityReport): ModelCapacitySummary {
  const horizon = report.projection.horizons?.find(h => h.days === 30);
  const projected =
    report.projection.status === 'ok' && horizon?.monthlyCost !== undefined
      ? { amount: horizon.monthlyCost, basis: 'projection' as const }
      : { amount: (report.cost.perDay ?? 0) * 30, basis: 'current' as const };
  const top = report.recommendations[0];
  const summary: ModelCapacitySummary = {
    period: report.period,
    computedAt: report.generatedAt,
    projectedMonthlyCost: {
      amount: round2(projected.amount),
      currency: report.cost.currency,
      basis: projected.basis,
    },
    recommendations: report.recommendations.length,
    seeded: report.seeded !== undefined,
  };
  if (top) {
    summary.topRecommendation = {
      id: top.id,
      type: top.type,
      priority: top.priority,
      title: top.title,
      ...(top.actBy ? { actBy: top.actBy } : {}),
    };
  }
  return summary;
}

function round2(value: number): number {
  return Number.isFinite(value) ? Math.round(value * 100) / 100 : 0;
}

/**
 * Stored summaries, one per model.
 *
 * @internal
 */
export interface CapacitySummaryStore {
  /** Stores a model's summary, replacing an older one (a newer one is kept). */
  put(modelId: string, summary: ModelCapacitySummary): Promise<void>;
  /** The stored summaries of these models. */
  get(modelIds: string[]): Promise<Map<string, ModelCapacitySummary>>;
  /** Removes the summaries of models not in `modelIds`; returns how many it removed. */
  retainOnly(modelIds: string[]): Promise<number>;
}

const TABLE = 'model_ops_capacity_summaries';
/** Model ids per query: well under SQLite's bound-parameter limit. */
const IDS_CHUNK = 500;

type SummaryRow = {
  model_id: string;
  period: string;
  computed_at: DbDate;
  monthly_cost: number | string;
  currency: string;
  cost_basis: string;
  top_recommendation: string | null;
  recommendations: number | string;
  seeded: boolean | number | string;
};

function fromRow(row: SummaryRow): ModelCapacitySummary {
  const summary: ModelCapacitySummary = {
    period: row.period as CapacityPeriod,
    computedAt: toDate(row.computed_at).toISOString(),
    projectedMonthlyCost: {
      amount: Number(row.monthly_cost),
      currency: row.currency,
      basis: row.cost_basis === 'projection' ? 'projection' : 'current',
    },
    recommendations: Number(row.recommendations),
    seeded: row.seeded === true || Number(row.seeded) === 1,
  };
  const top = fromJson<ModelCapacitySummary['topRecommendation'] | null>(
    row.top_recommendation,
    null,
  );
  if (top) summary.topRecommendation = top;
  return summary;
}

/**
 * {@link CapacitySummaryStore} in `model_ops_capacity_summaries`. Two replicas may write one
 * model's summary at once (the task on one, the Capacity tab on another): the upsert keeps the
 * later computation, whichever commits last.
 *
 * @internal
 */
export class DatabaseCapacitySummaryStore implements CapacitySummaryStore {
  static create(options: { knex: Knex }): DatabaseCapacitySummaryStore {
    return new DatabaseCapacitySummaryStore(options.knex);
  }

  private constructor(private readonly db: Knex) {}

  async put(modelId: string, summary: ModelCapacitySummary): Promise<void> {
    const computedAt = new Date(summary.computedAt);
    const row = {
      model_id: modelId,
      period: summary.period,
      computed_at: computedAt,
      monthly_cost: summary.projectedMonthlyCost.amount,
      currency: summary.projectedMonthlyCost.currency,
      cost_basis: summary.projectedMonthlyCost.basis,
      top_recommendation: summary.topRecommendation
        ? JSON.stringify(summary.topRecommendation)
        : null,
      recommendations: summary.recommendations,
      seeded: summary.seeded,
    };
    // One statement, so that two writers cannot both miss the row: the conflict's update
    // applies only over an older computation.
    await this.db(TABLE)
      .insert(row)
      .onConflict('model_id')
      .merge()
      .where(`${TABLE}.computed_at`, '<=', computedAt);
  }

  async get(modelIds: string[]): Promise<Map<string, ModelCapacitySummary>> {
    const result = new Map<string, ModelCapacitySummary>();
    const ids = [...new Set(modelIds)];
    for (let i = 0; i < ids.length; i += IDS_CHUNK) {
      const rows: SummaryRow[] = await this.db(TABLE).whereIn(
        'model_id',
        ids.slice(i, i + IDS_CHUNK),
      );
      for (const row of rows) result.set(row.model_id, fromRow(row));
    }
    return result;
  }

  async retainOnly(modelIds: string[]): Promise<number> {
    const keep = new Set(modelIds);
    const stored: string[] = await this.db(TABLE).pluck('model_id');
    const gone = stored.filter(id => !keep.has(id));
    let removed = 0;
    for (let i = 0; i < gone.length; i += IDS_CHUNK) {
      removed += await this.db(TABLE)
        .whereIn('model_id', gone.slice(i, i + IDS_CHUNK))
        .delete();
    }
    return removed;
  }
}

/**
 * Computes and stores every indexed model's summary, once per cluster per run. One model's
 * failure is logged and the others go on; the summaries of models that left the catalog are
 * removed.
 *
 * @internal
 */
export class CapacitySummaryTask implements PluginTask {
  readonly id = 'model-ops-capacity-summaries';
  readonly scope = 'global' as const;

  constructor(
    private readonly deps: {
      /** The models to summarize: the index's models with good annotations. */
      specs: () => Promise<ModelSpec[]>;
      /** Every model id the index knows (summaries of others are removed). */
      modelIds: () => Promise<string[]>;
      summarize: (spec: ModelSpec) => Promise<ModelCapacitySummary>;
      store: CapacitySummaryStore;
      logger: LoggerService;
    },
    readonly schedule: SchedulerServiceTaskScheduleDefinition,
  ) {}

  async run(): Promise<void> {
    await this.runOnce();
  }

  /** One run, with what it did. */
  async runOnce(): Promise<{
    computed: number;
    failed: number;
    removed: number;
  }> {
    const specs = await this.deps.specs();
    let computed = 0;
    let failed = 0;
    for (const spec of specs) {
      try {
        await this.deps.store.put(
          spec.modelId,
          await this.deps.summarize(spec),
        );
        computed += 1;
      } catch (error) {
        failed += 1;
        this.deps.logger.warn(
          `Capacity summary of ${spec.modelId} failed: ${error}`,
        );
      }
    }
    const removed = await this.deps.store.retainOnly(
      await this.deps.modelIds(),
    );
    this.deps.logger.debug(
      `Capacity summaries: ${computed} computed, ${failed} failed, ${removed} removed`,
    );
    return { computed, failed, removed };
  }
}
