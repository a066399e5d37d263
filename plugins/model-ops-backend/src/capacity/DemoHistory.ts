import {
  LoggerService,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import {
  MODEL_METRIC_KEYS,
  ModelSpec,
  SlotName,
} from '@model-ops/plugin-model-ops-common';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { Knex } from 'knex';
import { Capability, PluginTask } from '../lib/tasks';
import { ModelIndex, ModelStore, isExternalModel } from '../models';
import { DatabaseMetricsStore } from '../monitoring';
import type { MetricsStore } from '../monitoring';
import { CostModel, createCostPerRequest } from './costs';
import {
  DEMO_TRAFFIC,
  DemoModelTraffic,
  DemoRange,
  demoSamples,
} from './demoTraffic';
import {
  DatabaseSeededHistoryStore,
  SeededHistoryStore,
  SeededRangeState,
} from './SeededHistory';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** The history written per transaction. */
const STEP_MS = 6 * 3_600_000;

/** Days of history the demo models get. */
export const DEMO_HISTORY_DAYS = 30;
/** How long a seeding holds a model without renewing (it renews after every day it stores). */
export const DEMO_HISTORY_LEASE_MS = 5 * 60_000;
/** What the seeded rows say produced them. */
export const DEMO_HISTORY_SOURCE = 'demo-traffic';

const floorTo = (t: number, step: number) => Math.floor(t / step) * step;

/** What one run of the task did. */
export interface DemoHistoryResult {
  /** The models this run seeded (all of their range). */
  seeded: string[];
  /** The demo models it left alone, and why. */
  skipped: Array<{ modelId: string; reason: string }>;
  /** Minute samples written (before pruning the ones past retention). */
  samples: number;
  /** Hours rolled up. */
  hours: number;
  durationMs: number;
}

interface Plan {
  spec: ModelSpec;
  traffic: DemoModelTraffic;
  range: DemoRange;
}

/**
 * With the embedded defaults, fills the past of each demo model with 30 days of history, so
 * that its Capacity tab has usage, a projection and recommendations from the first start: the
 * demo traffic pattern (see `demoTraffic.ts`) is turned into the samples a metric source would
 * have collected, minute by minute, on the production color, and stored through the normal
 * ingestion path (`MetricsStore.writeSamples`) a day at a time, each hour rolled up with the
 * store's rollup; minute samples past their retention are pruned as the retention task would,
 * so minute samples remain for the retention (7 days) and hourly rollups for all 30 days. The
 * history ends where measured samples start (now, or the model's first sample).
 *
 * Each model is seeded once: a model with a recorded range, or with samples older than a day
 * (measured history), is skipped. The recorded range (`model_ops_seeded_history`) is written
 * before the samples and its key decides who seeds, so replicas racing seed a model once; an
 * unfinished seeding whose process stopped (its lease ran out) is redone by the next run, which
 * writes the same samples again. A global task, like the demo bootstrap.
 *
 * @internal
 */
export class DemoHistory implements PluginTask {
  readonly id = 'model-ops-demo-history';
  readonly scope = 'global';
  readonly schedule: SchedulerServiceTaskScheduleDefinition;
  private readonly owner: string;

  constructor(
    private readonly deps: {
      models: ModelIndex;
      store: ModelStore;
      metrics: MetricsStore;
      /**
       * Runs one day's writes (samples, rollups, pruning) on a metrics store in a transaction:
       * one commit a day instead of one a statement, which makes seeding several times faster
       * on a SQLite file and on PostgreSQL. Without it the writes go to `metrics` one by one.
       */
      transaction?: (
        work: (metrics: MetricsStore) => Promise<void>,
      ) => Promise<void>;
      seeded: DatabaseSeededHistoryStore;
      logger: LoggerService;
      costModels: Map<string, CostModel>;
      retention: { sampleRetentionDays: number; rollupRetentionDays: number };
      schedule: SchedulerServiceTaskScheduleDefinition;
      /** The demo models and their traffic. Default {@link DEMO_TRAFFIC}. */
      traffic?: Readonly<Record<string, DemoModelTraffic>>;
      /** Default {@link DEMO_HISTORY_DAYS}. */
      days?: number;
      /** Default {@link DEMO_HISTORY_LEASE_MS}. */
      leaseMs?: number;
      /** This process as the owner of its seedings. Default host, pid and a random part. */
      owner?: string;
      now?: () => Date;
    },
  ) {
    this.schedule = deps.schedule;
    this.owner =
      deps.owner ??
      `${os.hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
  }

  async run(): Promise<void> {
    await this.seed();
  }

  /** One run: claims the demo models that need history and seeds them. */
  async seed(): Promise<DemoHistoryResult> {
    const started = performance.now();
    const result: DemoHistoryResult = {
      seeded: [],
      skipped: [],
      samples: 0,
      hours: 0,
      durationMs: 0,
    };
    const traffic = this.deps.traffic ?? DEMO_TRAFFIC;
    const specs = (await this.deps.models.specs()).filter(
      spec =>
        Object.prototype.hasOwnProperty.call(traffic, spec.modelId) &&
        !isExternalModel(spec),
    );
    if (specs.length === 0) return result;

    const now = floorTo(this.now().getTime(), MINUTE_MS);
    const states = await this.deps.seeded.states(specs.map(s => s.modelId));
    const plans: Plan[] = [];
    for (const spec of specs) {
      const state = states.get(spec.modelId);
      const range = state
        ? await this.resume(state, now)
        : await this.claim(spec, now);
      if (typeof range === 'string') {
        result.skipped.push({ modelId: spec.modelId, reason: range });
        continue;
      }
      plans.push({
        spec,
        traffic: traffic[spec.modelId],
        range: {
          modelId: spec.modelId,
          slot: await this.productionSlot(spec.modelId),
          from: range.from,
          to: range.to,
          instances: this.costModel(spec).instances,
          costPerRequest: createCostPerRequest({
            costModels: this.deps.costModels,
            costModelOf: () => spec.costModel,
          }),
        },
      });
    }
    if (plans.length > 0) {
      const filled = await this.fill(plans, now);
      result.seeded = filled.seeded;
      result.samples = filled.samples;
      result.hours = filled.hours;
    }
    result.durationMs = performance.now() - started;
    if (result.seeded.length > 0) {
      this.deps.logger.info(
        `Seeded ${
          this.deps.days ?? DEMO_HISTORY_DAYS
        } days of demo history for ${result.seeded.join(', ')}: ${
          result.samples
        } samples, ${result.hours} hours rolled up, ${Math.round(
          result.durationMs,
        )} ms`,
      );
    }
    return result;
  }

  /** A recorded range: done, being seeded elsewhere, or abandoned and taken over. */
  private async resume(
    state: SeededRangeState,
    now: number,
  ): Promise<{ from: Date; to: Date } | string> {
    if (state.completedAt) return 'already seeded';
    if (state.leaseExpiresAt && state.leaseExpiresAt.getTime() > now) {
      return `being seeded by ${state.leaseOwner}`;
    }
    const taken = await this.deps.seeded.takeOver(
      state,
      this.lease(now),
      new Date(now),
    );
    if (!taken) return 'taken over by another process';
    this.deps.logger.info(
      `Resuming the demo history of ${state.modelId} left unfinished by ${state.leaseOwner}`,
    );
    return { from: state.from, to: state.to };
  }

  /** A model without a recorded range: skipped when it has measured history, else claimed. */
  private async claim(
    spec: ModelSpec,
    now: number,
  ): Promise<{ from: Date; to: Date } | string> {
    const { metrics, retention } = this.deps;
    const dayAgo = now - DAY_MS;
    const rollupBound = now - retention.rollupRetentionDays * DAY_MS;
    const older = await metrics.series(
      spec.modelId,
      MODEL_METRIC_KEYS,
      new Date(rollupBound),
      new Date(dayAgo),
      3600,
    );
    if (older.some(s => s.points.length > 0)) return 'has measured history';
    // Measured samples of the last day: the history ends where they start.
    const recent = await metrics.series(
      spec.modelId,
      MODEL_METRIC_KEYS,
      new Date(dayAgo),
      new Date(now),
      60,
    );
    let first = now;
    for (const series of recent) {
      for (const point of series.points) {
        first = Math.min(first, new Date(point.t).getTime());
      }
    }
    const to = floorTo(first, MINUTE_MS);
    // No rollups past their retention either.
    const from = Math.max(
      to - (this.deps.days ?? DEMO_HISTORY_DAYS) * DAY_MS,
      floorTo(rollupBound, HOUR_MS) + HOUR_MS,
    );
    if (from >= to) return 'no room for history within the retention';
    const traffic = (this.deps.traffic ?? DEMO_TRAFFIC)[spec.modelId];
    const claimed = await this.deps.seeded.claim(
      {
        modelId: spec.modelId,
        from: new Date(from),
        to: new Date(to),
        seededAt: new Date(now),
      },
      this.lease(now),
      {
        source: DEMO_HISTORY_SOURCE,
        note: `The demo traffic pattern (daily profile, quieter weekends) at ${
          traffic.baseRps
        } requests a second, growing ${Math.round(
          traffic.growthPerMonth * 100,
        )} % a month`,
      },
    );
    return claimed
      ? { from: new Date(from), to: new Date(to) }
      : 'claimed by another process';
  }

  /**
   * Writes the plans' samples a day at a time, oldest first: the minute samples, then the
   * rollup of every hour the day touched, then (for days past the samples' retention) the
   * pruning the retention task would do; the lease is renewed after each day.
   */
  private async fill(
    plans: Plan[],
    now: number,
  ): Promise<{ seeded: string[]; samples: number; hours: number }> {
    const { retention } = this.deps;
    const samplesOlderThan = new Date(
      now - retention.sampleRetentionDays * DAY_MS,
    );
    const rollupsOlderThan = new Date(
      now - retention.rollupRetentionDays * DAY_MS,
    );
    const start = Math.min(...plans.map(p => p.range.from.getTime()));
    const end = Math.max(...plans.map(p => p.range.to.getTime()));
    let held = plans;
    let samples = 0;
    let hours = 0;
    // One step per 6 hours of the history: bounded by its length. Each step is one transaction,
    // short enough (about 0.15 s for the demo's models) that the portal's own queries, which
    // wait for SQLite's one connection, pass between steps while the history is seeded.
    for (
      let dayStart = floorTo(start, DAY_MS);
      dayStart < end && held.length > 0;
      dayStart += STEP_MS
    ) {
      const dayEnd = dayStart + STEP_MS;
      const day = held.flatMap(plan =>
        demoSamples(
          plan.traffic,
          plan.range,
          new Date(dayStart),
          new Date(dayEnd),
        ),
      );
      const touched = [
        ...new Set(
          day.map(sample => floorTo(sample.timestamp.getTime(), HOUR_MS)),
        ),
      ].sort((a, b) => a - b);
      const prune = dayStart < samplesOlderThan.getTime();
      samples += await this.withinDay(async store => {
        const written = await store.writeSamples(day);
        for (const hour of touched) {
          await store.rollupHour(new Date(hour));
        }
        if (prune) await store.prune({ samplesOlderThan, rollupsOlderThan });
        return written;
      });
      hours += touched.length;
      const still = new Set(
        await this.deps.seeded.renew(
          held.map(p => p.range.modelId),
          this.lease(this.now().getTime()),
        ),
      );
      for (const plan of held) {
        if (!still.has(plan.range.modelId)) {
          this.deps.logger.warn(
            `The demo history of ${plan.range.modelId} was taken over by another process`,
          );
        }
      }
      held = held.filter(p => still.has(p.range.modelId));
    }
    const seeded: string[] = [];
    for (const plan of held) {
      if (
        await this.deps.seeded.complete(
          plan.range.modelId,
          this.owner,
          this.now(),
        )
      ) {
        seeded.push(plan.range.modelId);
      }
    }
    return { seeded, samples, hours };
  }

  /** One step's writes, in one transaction when the store can make one. */
  private async withinDay(
    work: (metrics: MetricsStore) => Promise<number>,
  ): Promise<number> {
    if (!this.deps.transaction) return work(this.deps.metrics);
    let result = 0;
    await this.deps.transaction(async metrics => {
      result = await work(metrics);
    });
    return result;
  }

  private lease(now: number) {
    return {
      owner: this.owner,
      expiresAt: new Date(now + (this.deps.leaseMs ?? DEMO_HISTORY_LEASE_MS)),
    };
  }

  /** The color production runs on (blue before the first deployment, which goes there). */
  private async productionSlot(modelId: string): Promise<SlotName> {
    const active = (await this.deps.store.getModel(modelId))?.activeSlot;
    return active === 'green' ? 'green' : 'blue';
  }

  private costModel(spec: ModelSpec): CostModel {
    return (
      this.deps.costModels.get(spec.costModel) ??
      this.deps.costModels.get('default') ?? {
        name: 'default',
        instanceHourUsd: 0,
        instances: 1,
      }
    );
  }

  private now(): Date {
    return this.deps.now ? this.deps.now() : new Date();
  }
}

/**
 * The demo history capability: the store of seeded ranges (which the capacity report reads),
 * and, when `enabled` (the embedded demo defaults), the task that seeds the demo models.
 *
 * @internal
 */
export function createDemoHistory(deps: {
  knex: Knex;
  models: ModelIndex;
  store: ModelStore;
  logger: LoggerService;
  costModels: Map<string, CostModel>;
  options: {
    enabled: boolean;
    schedule: SchedulerServiceTaskScheduleDefinition;
    sampleRetentionDays: number;
    rollupRetentionDays: number;
  };
}): Capability<SeededHistoryStore> {
  const seeded = DatabaseSeededHistoryStore.create({ knex: deps.knex });
  return {
    service: seeded,
    tasks: deps.options.enabled
      ? [
          new DemoHistory({
            models: deps.models,
            store: deps.store,
            metrics: DatabaseMetricsStore.create({ knex: deps.knex }),
            transaction: work =>
              deps.knex.transaction(trx =>
                work(DatabaseMetricsStore.create({ knex: trx })),
              ),
            seeded,
            logger: deps.logger,
            costModels: deps.costModels,
            retention: deps.options,
            schedule: deps.options.schedule,
          }),
        ]
      : [],
  };
}
