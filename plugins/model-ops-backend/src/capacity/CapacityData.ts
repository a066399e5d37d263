/*
 * What a capacity report reads: monitoring's stored series per slot and hour, and which version
 * each slot served when.
 */
import {
  SlotName,
  SlotState,
  SwitchRecord,
} from '@model-ops/plugin-model-ops-common';
import { Knex } from 'knex';
import { DbDate, toDate } from '../lib/rows';
import { HOUR_MS } from './analysis';

/**
 * The stored metric capacity planning reads tokens from, in tokens a second, once a source
 * measures them (the LLM metrics of a later issue); until then no model has it and the
 * per-1,000-tokens price is not applied.
 *
 * @internal
 */
export const TOKEN_METRIC = 'tokenThroughput';

/** The metrics a report reads. */
export const CAPACITY_METRICS = [
  'throughput',
  'cpu',
  'memory',
  'disk',
  TOKEN_METRIC,
] as const;

/**
 * One slot's hour of stored series: the average of each metric over the hour's samples.
 *
 * @internal
 */
export interface StoredSlotHour {
  slot: SlotName;
  /** The start of the hour, epoch milliseconds. */
  t: number;
  values: Partial<Record<(typeof CAPACITY_METRICS)[number], number>>;
}

/**
 * Monitoring's stored series of one model, per slot and hour.
 *
 * @internal
 */
export interface CapacitySeriesReader {
  /** The hours starting from `from` (on the hour) through the hour holding `to`. */
  slotHours(modelId: string, from: Date, to: Date): Promise<StoredSlotHour[]>;
}

type HourlyRow = {
  slot: string;
  metric: string;
  bucket_start: DbDate;
  value_avg: number | string;
};

type SampleRow = {
  slot: string;
  metric: string;
  bucket_start: DbDate;
  value: number | string;
};

/**
 * Reads monitoring's tables (read only): the hourly rollups (`model_ops_samples_hourly`, kept 90
 * days) and, for the hours after the newest rolled-up one (the current hour, or a late rollup),
 * the minute samples (`model_ops_samples`) averaged per hour, as monitoring's own hourly series
 * does, but without combining the slots.
 *
 * @internal
 */
export class DatabaseCapacitySeries implements CapacitySeriesReader {
  static create(options: { knex: Knex }): DatabaseCapacitySeries {
    return new DatabaseCapacitySeries(options.knex);
  }

  private constructor(private readonly db: Knex) {}

  async slotHours(
    modelId: string,
    from: Date,
    to: Date,
  ): Promise<StoredSlotHour[]> {
    const start = new Date(Math.floor(from.getTime() / HOUR_MS) * HOUR_MS);
    const end = new Date(
      Math.floor(to.getTime() / HOUR_MS) * HOUR_MS + HOUR_MS,
    );
    const cells = new Map<string, StoredSlotHour>();
    const put = (slot: string, t: number, metric: string, value: number) => {
      const key = `${t}\u0000${slot}`;
      let cell = cells.get(key);
      if (!cell) {
        cell = { slot: slot as SlotName, t, values: {} };
        cells.set(key, cell);
      }
      cell.values[metric as (typeof CAPACITY_METRICS)[number]] = value;
    };

    const hourly: HourlyRow[] = await this.db('model_ops_samples_hourly')
      .select('slot', 'metric', 'bucket_start', 'value_avg')
      .where('model_id', modelId)
      .whereIn('metric', [...CAPACITY_METRICS])
      .andWhere('bucket_start', '>=', start)
      .andWhere('bucket_start', '<', end);
    let lastRolled: number | undefined;
    const rolled = new Set<string>();
    for (const row of hourly) {
      const t = toDate(row.bucket_start).getTime();
      lastRolled = lastRolled === undefined ? t : Math.max(lastRolled, t);
      rolled.add(`${t}\u0000${row.slot}\u0000${row.metric}`);
      put(row.slot, t, row.metric, Number(row.value_avg));
    }

    const minutes: SampleRow[] = await this.db('model_ops_samples')
      .select('slot', 'metric', 'bucket_start', 'value')
      .where('model_id', modelId)
      .whereIn('metric', [...CAPACITY_METRICS])
      .andWhere(
        'bucket_start',
        '>=',
        lastRolled === undefined ? start : new Date(lastRolled),
      )
      .andWhere('bucket_start', '<', end);
    const sums = new Map<
      string,
      { slot: string; t: number; metric: string; sum: number; n: number }
    >();
    for (const row of minutes) {
      const t =
        Math.floor(toDate(row.bucket_start).getTime() / HOUR_MS) * HOUR_MS;
      const key = `${t}\u0000${row.slot}\u0000${row.metric}`;
      if (rolled.has(key)) continue;
      const acc = sums.get(key) ?? {
        slot: row.slot,
        t,
        metric: row.metric,
        sum: 0,
        n: 0,
      };
      acc.sum += Number(row.value);
      acc.n += 1;
      sums.set(key, acc);
    }
    for (const acc of sums.values()) {
      put(acc.slot, acc.t, acc.metric, acc.sum / acc.n);
    }
    return [...cells.values()].sort(
      (a, b) => a.t - b.t || Number(a.slot > b.slot) - Number(a.slot < b.slot),
    );
  }
}

/**
 * The records that say which version a slot served when: the switch history (the environments
 * switch store satisfies it) and the slots as stored now.
 *
 * @internal
 */
export interface VersionSources {
  /** A model's switches, newest first. */
  switches: { list(modelId: string, limit?: number): Promise<SwitchRecord[]> };
  slots: { getSlots(modelId: string): Promise<SlotState[]> };
}

/** The switches a version timeline reads: far more than 90 days of them for any model. */
const SWITCH_LIMIT = 1000;

/**
 * Which version each slot served at a time, from what the plugin records:
 *
 * - a succeeded switch: its target slot served `toVersion` from when the switch started (the
 *   version was deployed there before traffic moved), and its source slot served `fromVersion`
 *   up to then;
 * - a slot's stored state: it serves its version since it was last updated.
 *
 * A slot's version at `t` is that of its latest "since" record at or before `t`; before the
 * first one, the earliest record's (so hours before any record get the version the slot is
 * first known with); `fallback` (the production version, else "unknown") for a slot with no
 * record. A version deployed into an idle color without a switch shows from the slot's update.
 *
 * @internal
 */
export async function versionTimeline(
  modelId: string,
  sources: VersionSources,
  fallback: string,
): Promise<(slot: SlotName, t: number) => string> {
  const [switches, slots] = await Promise.all([
    sources.switches.list(modelId, SWITCH_LIMIT),
    sources.slots.getSlots(modelId),
  ]);
  type Mark = { t: number; version: string; since: boolean };
  const marks = new Map<SlotName, Mark[]>();
  const add = (slot: SlotName | undefined, mark: Mark) => {
    if (!slot || !mark.version || Number.isNaN(mark.t)) return;
    const list = marks.get(slot) ?? [];
    list.push(mark);
    marks.set(slot, list);
  };
  for (const s of switches) {
    if (s.status !== 'succeeded') continue;
    const started = Date.parse(s.startedAt);
    if (s.toVersion)
      add(s.to, { t: started, version: s.toVersion, since: true });
    if (s.fromVersion)
      add(s.from, { t: started, version: s.fromVersion, since: false });
  }
  for (const slot of slots) {
    if (slot.version) {
      add(slot.slot, {
        t: Date.parse(slot.updatedAt),
        version: slot.version,
        since: true,
      });
    }
  }
  for (const list of marks.values()) list.sort((a, b) => a.t - b.t);
  return (slot, t) => {
    const list = marks.get(slot);
    if (!list?.length) return fallback;
    let version: string | undefined;
    for (const mark of list) {
      if (mark.t > t) break;
      if (mark.since) version = mark.version;
    }
    return version ?? list.find(m => m.t > t)?.version ?? list[0].version;
  };
}
