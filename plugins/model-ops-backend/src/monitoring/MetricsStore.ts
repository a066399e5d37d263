import {
  MODEL_METRICS,
  MetricPoint,
  MetricSeries,
  ModelMetric,
  SlotName,
} from '@model-ops/plugin-model-ops-common';
import {
  MetricSample,
  MetricSourceState,
} from '@model-ops/plugin-model-ops-node';
import { Knex } from 'knex';
import { DbDate, HOUR_MS, MINUTE_MS, floorTo, toDate } from './dates';

const SAMPLES = 'model_ops_samples';
const HOURLY = 'model_ops_samples_hourly';
const STATE = 'model_ops_monitoring_state';
const KEY = ['model_id', 'slot', 'metric', 'bucket_start'];
/**
 * Rows per insert statement. PostgreSQL: 2,000 rows of at most 8 columns, well under its 65,535
 * bound parameters; at 10,000 models a tick writes 120,000 samples in 60 statements, not 1,200
 * (chunks of 100 were most of the tick there). SQLite: 500, the most terms of the compound SELECT
 * knex builds for a multi-row upsert (SQLITE_MAX_COMPOUND_SELECT).
 */
function chunkSize(db: Knex): number {
  return String(db.client.config.client).includes('sqlite') ? 500 : 2000;
}

type SampleRow = {
  model_id: string;
  slot: string;
  metric: string;
  bucket_start: DbDate;
  value: number;
  sampled_at: DbDate;
};

type HourlyRow = {
  model_id: string;
  slot: string;
  metric: string;
  bucket_start: DbDate;
  value_avg: number | string;
  value_min: number | string;
  value_max: number | string;
  sample_count: number | string;
};

/**
 * How the slots of a model (e.g. blue and green during a canary) are combined into one point:
 *
 * - `sum`: throughput, the model's total requests a second.
 * - `weighted`: latencies, error rate and cost per request are weighted by the throughput of each
 *   slot in the same bucket, so the point approximates the value over all the model's requests
 *   (an idle warm color does not dilute it). When a slot has no throughput in the bucket, or the
 *   total is 0, the plain mean is used instead.
 * - `mean`: CPU, memory, disk (and any metric not listed) are averaged over the slots.
 *
 * Hourly points combine the slots' hourly averages the same way.
 *
 * @internal
 */
export const SLOT_AGGREGATION: Record<
  ModelMetric,
  'sum' | 'weighted' | 'mean'
> = {
  responseTimeP50: 'weighted',
  responseTimeP95: 'weighted',
  throughput: 'sum',
  errorRate: 'weighted',
  cpu: 'mean',
  memory: 'mean',
  disk: 'mean',
  costPerRequest: 'weighted',
  userSatisfaction: 'weighted',
  featureUsage: 'sum',
};

/** The newest stored value of one metric of one slot. */
export interface LatestSample {
  modelId: string;
  slot: SlotName;
  metric: string;
  value: number;
  /** The minute the value is stored under. */
  bucketStart: Date;
  /** When it was collected. */
  sampledAt: Date;
}

/** Per bucket (epoch ms), per metric, per slot: one value. */
type Cells = Map<number, Map<string, Map<string, number>>>;

function put(
  cells: Cells,
  bucket: number,
  metric: string,
  slot: string,
  value: number,
) {
  let byMetric = cells.get(bucket);
  if (!byMetric) {
    byMetric = new Map();
    cells.set(bucket, byMetric);
  }
  let bySlot = byMetric.get(metric);
  if (!bySlot) {
    bySlot = new Map();
    byMetric.set(metric, bySlot);
  }
  bySlot.set(slot, value);
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Combines the values of the slots of one bucket, see {@link SLOT_AGGREGATION}. */
export function combineSlots(
  metric: string,
  values: Map<string, number>,
  throughput: Map<string, number> | undefined,
): number {
  const how = SLOT_AGGREGATION[metric as ModelMetric] ?? 'mean';
  const entries = [...values.entries()];
  if (how === 'sum') {
    return entries.reduce((sum, [, v]) => sum + v, 0);
  }
  if (how === 'weighted' && throughput) {
    let total = 0;
    let weighted = 0;
    let complete = true;
    for (const [slot, value] of entries) {
      const weight = throughput.get(slot);
      if (weight === undefined || weight < 0) {
        complete = false;
        break;
      }
      total += weight;
      weighted += value * weight;
    }
    if (complete && total > 0) {
      return weighted / total;
    }
  }
  return mean(entries.map(([, v]) => v));
}

/**
 * Persistence of metric samples: per-minute samples (written once whatever the number of
 * replicas), hourly rollups, and the reads of the Alerts tab.
 *
 * @internal
 */
export interface MetricsStore {
  /** Writes samples into their minute buckets; returns how many were new. */
  writeSamples(samples: MetricSample[]): Promise<number>;
  series(
    modelId: string,
    metrics: ModelMetric[],
    from: Date,
    to: Date,
    stepSeconds: 60 | 3600,
  ): Promise<MetricSeries[]>;
  average(
    modelId: string,
    metrics: ModelMetric[],
    from: Date,
    to: Date,
  ): Promise<Partial<Record<ModelMetric, number>>>;
  latest(modelId: string, options?: { since?: Date }): Promise<LatestSample[]>;
  latestMany(
    modelIds: string[],
    options?: { since?: Date },
  ): Promise<Map<string, LatestSample[]>>;
  rollupHour(hourStart: Date): Promise<number>;
  /**
   * Rolls up every hour with samples from the newest rolled-up hour through the hour holding
   * `through`, never before the hour holding `notBefore`; returns the hours rolled up.
   */
  catchUpRollups(options: { notBefore: Date; through: Date }): Promise<Date[]>;
  prune(options: {
    samplesOlderThan: Date;
    rollupsOlderThan: Date;
  }): Promise<{ samples: number; rollups: number }>;
}

/**
 * Metric samples of models: a value per model, slot, metric and minute, with hourly rollups for
 * longer ranges, and retention.
 *
 * @internal
 */
export class DatabaseMetricsStore implements MetricsStore {
  static create(options: { knex: Knex }): DatabaseMetricsStore {
    return new DatabaseMetricsStore(options.knex);
  }

  private constructor(private readonly db: Knex) {}

  /**
   * Stores samples under the minute they were taken in. A (model, slot, metric, minute) has one
   * row: replicas writing the same tick write the same row, and of two samples in one minute the
   * later one wins whatever order they are written in. Non-finite values are skipped. Returns the
   * number of rows written or refreshed.
   */
  async writeSamples(samples: MetricSample[]): Promise<number> {
    const byKey = new Map<string, SampleRow & { sampled_at: Date }>();
    for (const sample of samples) {
      if (!Number.isFinite(sample.value)) {
        continue;
      }
      const bucket = floorTo(sample.timestamp, MINUTE_MS);
      const key = [
        sample.modelId,
        sample.slot,
        sample.metric,
        bucket.getTime(),
      ].join('\u0000');
      const existing = byKey.get(key);
      if (
        !existing ||
        existing.sampled_at.getTime() <= sample.timestamp.getTime()
      ) {
        byKey.set(key, {
          model_id: sample.modelId,
          slot: sample.slot,
          metric: sample.metric,
          bucket_start: bucket,
          value: sample.value,
          sampled_at: sample.timestamp,
        });
      }
    }
    // The same order on every replica, so concurrent upserts lock rows in the same order.
    const rows = [...byKey.entries()]
      .sort(([a], [b]) => Number(a > b) - Number(a < b))
      .map(([, row]) => row);
    for (let i = 0, chunk = chunkSize(this.db); i < rows.length; i += chunk) {
      await this.db(SAMPLES)
        .insert(rows.slice(i, i + chunk))
        .onConflict(KEY)
        .merge(['value', 'sampled_at'])
        .where(
          `${SAMPLES}.sampled_at`,
          '<=',
          this.db.raw('excluded.sampled_at'),
        );
    }
    return rows.length;
  }

  /**
   * The series of a model's metrics with all its slots combined (see {@link SLOT_AGGREGATION}),
   * one point per bucket that has data (gaps are not filled), for buckets starting from `from`
   * (rounded down to the step) up to and including `to`.
   *
   * With a step of 3600 the points come from the hourly rollups; hours after the last rolled-up
   * hour (the current one, or when the rollup is late) are averaged from the minute samples.
   */
  async series(
    modelId: string,
    metrics: ModelMetric[],
    from: Date,
    to: Date,
    stepSeconds: 60 | 3600,
  ): Promise<MetricSeries[]> {
    const stepMs = stepSeconds === 3600 ? HOUR_MS : MINUTE_MS;
    const start = floorTo(from, stepMs);
    const wanted = [...new Set(metrics)];
    const needsThroughput = wanted.some(
      m => SLOT_AGGREGATION[m] === 'weighted',
    );
    const read =
      needsThroughput && !wanted.includes('throughput')
        ? [...wanted, 'throughput']
        : wanted;

    const cells: Cells = new Map();
    if (read.length > 0 && start.getTime() <= to.getTime()) {
      if (stepMs === MINUTE_MS) {
        const rows: SampleRow[] = await this.db(SAMPLES)
          .select('slot', 'metric', 'bucket_start', 'value')
          .where('model_id', modelId)
          .whereIn('metric', read)
          .andWhere('bucket_start', '>=', start)
          .andWhere('bucket_start', '<=', to);
        for (const row of rows) {
          put(
            cells,
            toDate(row.bucket_start).getTime(),
            row.metric,
            row.slot,
            Number(row.value),
          );
        }
      } else {
        await this.readHourly(cells, modelId, read, start, to);
      }
    }

    const buckets = [...cells.keys()].sort((a, b) => a - b);
    return wanted.map(metric => {
      const points: MetricPoint[] = [];
      for (const bucket of buckets) {
        const byMetric = cells.get(bucket)!;
        const values = byMetric.get(metric);
        if (values && values.size > 0) {
          points.push({
            t: new Date(bucket).toISOString(),
            value: combineSlots(metric, values, byMetric.get('throughput')),
          });
        }
      }
      return { metric, unit: MODEL_METRICS[metric]?.unit ?? '', points };
    });
  }

  /**
   * The mean of each metric's minute points (slots combined) over `[from, to]`, for trends;
   * metrics without points are left out.
   */
  async average(
    modelId: string,
    metrics: ModelMetric[],
    from: Date,
    to: Date,
  ): Promise<Partial<Record<ModelMetric, number>>> {
    const series = await this.series(modelId, metrics, from, to, 60);
    const result: Partial<Record<ModelMetric, number>> = {};
    for (const s of series) {
      if (s.points.length > 0) {
        result[s.metric] = mean(s.points.map(p => p.value));
      }
    }
    return result;
  }

  /**
   * The newest value of each (slot, metric) of a model; with `since`, only values of minutes
   * starting at or after it (so a slot that stopped reporting drops out).
   */
  async latest(
    modelId: string,
    options: { since?: Date } = {},
  ): Promise<LatestSample[]> {
    return (await this.latestMany([modelId], options)).get(modelId) ?? [];
  }

  /** {@link MetricsStore.latest} for many models at once; models without values are absent. */
  async latestMany(
    modelIds: string[],
    options: { since?: Date } = {},
  ): Promise<Map<string, LatestSample[]>> {
    const result = new Map<string, LatestSample[]>();
    for (let i = 0; i < modelIds.length; i += 500) {
      const ids = modelIds.slice(i, i + 500);
      const newest = this.db(SAMPLES)
        .select('model_id', 'slot', 'metric')
        .max({ newest: 'bucket_start' })
        .whereIn('model_id', ids)
        .groupBy('model_id', 'slot', 'metric');
      if (options.since) {
        newest.andWhere('bucket_start', '>=', options.since);
      }
      const rows: SampleRow[] = await this.db({ s: SAMPLES })
        .join(newest.as('n'), join =>
          join
            .on('s.model_id', '=', 'n.model_id')
            .andOn('s.slot', '=', 'n.slot')
            .andOn('s.metric', '=', 'n.metric')
            .andOn('s.bucket_start', '=', 'n.newest'),
        )
        .select(
          's.model_id',
          's.slot',
          's.metric',
          's.bucket_start',
          's.value',
          's.sampled_at',
        )
        .orderBy([
          { column: 's.model_id' },
          { column: 's.slot' },
          { column: 's.metric' },
        ]);
      for (const row of rows) {
        const list = result.get(row.model_id) ?? [];
        list.push({
          modelId: row.model_id,
          slot: row.slot as SlotName,
          metric: row.metric,
          value: Number(row.value),
          bucketStart: toDate(row.bucket_start),
          sampledAt: toDate(row.sampled_at),
        });
        result.set(row.model_id, list);
      }
    }
    return result;
  }

  /**
   * Rolls the minute samples of one hour (the hour holding `hourStart`) up into average, minimum,
   * maximum and count per model, slot and metric. Idempotent: running it again rewrites the same
   * rows, and never replaces a rollup with one made from fewer samples (after pruning). Returns
   * the number of rollup rows.
   */
  async rollupHour(hourStart: Date): Promise<number> {
    const start = floorTo(hourStart, HOUR_MS);
    const end = new Date(start.getTime() + HOUR_MS);
    const aggregated = (await this.db(SAMPLES)
      .select('model_id', 'slot', 'metric')
      .avg({ value_avg: 'value' })
      .min({ value_min: 'value' })
      .max({ value_max: 'value' })
      .count({ sample_count: '*' })
      .where('bucket_start', '>=', start)
      .andWhere('bucket_start', '<', end)
      .groupBy('model_id', 'slot', 'metric')
      .orderBy(['model_id', 'slot', 'metric'])) as Array<
      Omit<HourlyRow, 'bucket_start'>
    >;
    const rows = aggregated.map(r => ({
      model_id: r.model_id,
      slot: r.slot,
      metric: r.metric,
      bucket_start: start,
      value_avg: Number(r.value_avg),
      value_min: Number(r.value_min),
      value_max: Number(r.value_max),
      sample_count: Number(r.sample_count),
    }));
    for (let i = 0, chunk = chunkSize(this.db); i < rows.length; i += chunk) {
      await this.db(HOURLY)
        .insert(rows.slice(i, i + chunk))
        .onConflict(KEY)
        .merge(['value_avg', 'value_min', 'value_max', 'sample_count'])
        .where(
          `${HOURLY}.sample_count`,
          '<=',
          this.db.raw('excluded.sample_count'),
        );
    }
    return rows.length;
  }

  /**
   * Rolls up the hours missed while no rollup ran (downtime), oldest first: from the newest
   * rolled-up hour (again, since samples written after it was rolled up count too) through the
   * hour holding `through`, never before the hour holding `notBefore` (the minute samples of
   * earlier hours are pruned), and with no rollup yet from the first sample. Hours without
   * samples are skipped. Idempotent like {@link DatabaseMetricsStore.rollupHour}, so two
   * replicas running it at once write the same rows. Returns the hours rolled up.
   */
  async catchUpRollups(options: {
    notBefore: Date;
    through: Date;
  }): Promise<Date[]> {
    const bound = floorTo(options.notBefore, HOUR_MS);
    const end = new Date(floorTo(options.through, HOUR_MS).getTime() + HOUR_MS);
    const [row] = (await this.db(HOURLY).max({
      newest: 'bucket_start',
    })) as Array<{
      newest: DbDate | null;
    }>;
    const newest =
      row?.newest === null || row?.newest === undefined
        ? undefined
        : toDate(row.newest);
    let from = newest && newest.getTime() > bound.getTime() ? newest : bound;
    const rolled: Date[] = [];
    // One step per hour that has samples: bounded by the hours of sample retention.
    while (from.getTime() < end.getTime()) {
      const [first] = (await this.db(SAMPLES)
        .min({ first: 'bucket_start' })
        .where('bucket_start', '>=', from)
        .andWhere('bucket_start', '<', end)) as Array<{ first: DbDate | null }>;
      if (first?.first === null || first?.first === undefined) break;
      const hour = floorTo(toDate(first.first), HOUR_MS);
      await this.rollupHour(hour);
      rolled.push(hour);
      from = new Date(hour.getTime() + HOUR_MS);
    }
    return rolled;
  }

  /**
   * Deletes minute samples of minutes starting before `samplesOlderThan` and rollups of hours
   * starting before `rollupsOlderThan`; returns how many rows of each went.
   */
  async prune(options: {
    samplesOlderThan: Date;
    rollupsOlderThan: Date;
  }): Promise<{ samples: number; rollups: number }> {
    const samples = await this.db(SAMPLES)
      .where('bucket_start', '<', options.samplesOlderThan)
      .delete();
    const rollups = await this.db(HOURLY)
      .where('bucket_start', '<', options.rollupsOlderThan)
      .delete();
    return { samples, rollups };
  }

  private async readHourly(
    cells: Cells,
    modelId: string,
    metrics: string[],
    start: Date,
    to: Date,
  ): Promise<void> {
    const hourly: HourlyRow[] = await this.db(HOURLY)
      .select('slot', 'metric', 'bucket_start', 'value_avg')
      .where('model_id', modelId)
      .whereIn('metric', metrics)
      .andWhere('bucket_start', '>=', start)
      .andWhere('bucket_start', '<=', to);
    let lastRolled: number | undefined;
    const rolled = new Set<string>();
    for (const row of hourly) {
      const bucket = toDate(row.bucket_start).getTime();
      lastRolled =
        lastRolled === undefined ? bucket : Math.max(lastRolled, bucket);
      rolled.add(`${bucket}\u0000${row.metric}\u0000${row.slot}`);
      put(cells, bucket, row.metric, row.slot, Number(row.value_avg));
    }
    // Hours not rolled up yet: average the minute samples.
    const minuteFrom = lastRolled === undefined ? start : new Date(lastRolled);
    const minutes: SampleRow[] = await this.db(SAMPLES)
      .select('slot', 'metric', 'bucket_start', 'value')
      .where('model_id', modelId)
      .whereIn('metric', metrics)
      .andWhere('bucket_start', '>=', minuteFrom)
      .andWhere(
        'bucket_start',
        '<',
        new Date(floorTo(to, HOUR_MS).getTime() + HOUR_MS),
      );
    const sums = new Map<
      string,
      { bucket: number; metric: string; slot: string; sum: number; n: number }
    >();
    for (const row of minutes) {
      const bucket = floorTo(toDate(row.bucket_start), HOUR_MS).getTime();
      const key = `${bucket}\u0000${row.metric}\u0000${row.slot}`;
      if (rolled.has(key)) {
        continue;
      }
      const acc = sums.get(key) ?? {
        bucket,
        metric: row.metric,
        slot: row.slot,
        sum: 0,
        n: 0,
      };
      acc.sum += Number(row.value);
      acc.n += 1;
      sums.set(key, acc);
    }
    for (const acc of sums.values()) {
      put(cells, acc.bucket, acc.metric, acc.slot, acc.sum / acc.n);
    }
  }
}

/**
 * What monitoring keeps between ticks, in the database so that the next tick is right on
 * whichever replica runs it: the end of the last tick's window, and each metric source's state.
 *
 * @internal
 */
export interface MonitoringState {
  /** The end of the last tick's window (on any replica); undefined before the first tick. */
  lastTickAt(): Promise<Date | undefined>;
  setLastTickAt(at: Date): Promise<void>;
  /** The state of one metric source, scoped to its id. */
  source(sourceId: string): MetricSourceState;
}

const TICK_SCOPE = 'tick';
const LAST_TICK_KEY = 'lastTickAt';
/** Keys per query: well under SQLite's bound-parameter limit. */
const KEYS_CHUNK = 500;

type StateRow = {
  scope: string;
  key: string;
  value: string;
  updated_at: DbDate;
};

/**
 * {@link MonitoringState} in `model_ops_monitoring_state`: JSON values by scope and key.
 *
 * @internal
 */
export class DatabaseMonitoringState implements MonitoringState {
  static create(options: {
    knex: Knex;
    now?: () => Date;
  }): DatabaseMonitoringState {
    return new DatabaseMonitoringState(
      options.knex,
      options.now ?? (() => new Date()),
    );
  }

  private constructor(
    private readonly db: Knex,
    private readonly now: () => Date,
  ) {}

  async lastTickAt(): Promise<Date | undefined> {
    const value = (await this.get(TICK_SCOPE, [LAST_TICK_KEY])).get(
      LAST_TICK_KEY,
    );
    if (typeof value !== 'string') return undefined;
    const at = new Date(value);
    return Number.isNaN(at.getTime()) ? undefined : at;
  }

  async setLastTickAt(at: Date): Promise<void> {
    await this.set(TICK_SCOPE, new Map([[LAST_TICK_KEY, at.toISOString()]]));
  }

  source(sourceId: string): MetricSourceState {
    const scope = `source:${sourceId}`;
    return {
      get: keys => this.get(scope, keys),
      set: entries => this.set(scope, entries),
      retain: keys => this.retain(scope, keys),
    };
  }

  private async get(
    scope: string,
    keys: string[],
  ): Promise<Map<string, unknown>> {
    const result = new Map<string, unknown>();
    const wanted = [...new Set(keys)];
    for (let i = 0; i < wanted.length; i += KEYS_CHUNK) {
      const rows: StateRow[] = await this.db(STATE)
        .select('key', 'value')
        .where('scope', scope)
        .whereIn('key', wanted.slice(i, i + KEYS_CHUNK));
      for (const row of rows) {
        try {
          result.set(row.key, JSON.parse(row.value));
        } catch {
          // A value that is not JSON is as good as none.
        }
      }
    }
    return result;
  }

  private async set(
    scope: string,
    entries: Map<string, unknown>,
  ): Promise<void> {
    const updatedAt = this.now();
    // Sorted, so replicas writing at once lock rows in the same order.
    const rows = [...entries.entries()]
      .sort(([a], [b]) => Number(a > b) - Number(a < b))
      .map(([key, value]) => ({
        scope,
        key,
        value: JSON.stringify(value ?? null),
        updated_at: updatedAt,
      }));
    for (let i = 0, chunk = chunkSize(this.db); i < rows.length; i += chunk) {
      await this.db(STATE)
        .insert(rows.slice(i, i + chunk))
        .onConflict(['scope', 'key'])
        .merge(['value', 'updated_at']);
    }
  }

  private async retain(scope: string, keys: string[]): Promise<void> {
    const keep = new Set(keys);
    const stored: string[] = await this.db(STATE)
      .where('scope', scope)
      .pluck('key');
    const gone = stored.filter(key => !keep.has(key));
    for (let i = 0; i < gone.length; i += KEYS_CHUNK) {
      await this.db(STATE)
        .where('scope', scope)
        .whereIn('key', gone.slice(i, i + KEYS_CHUNK))
        .delete();
    }
  }
}
