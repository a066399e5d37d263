import { Config } from '@backstage/config';
import { InputError, NotFoundError } from '@backstage/errors';
import {
  AlertRecord,
  SLOT_NAMES,
  Silence,
  SilenceMatchers,
} from '@model-ops/plugin-model-ops-common';
import { Knex } from 'knex';
import { DateTime } from 'luxon';
import { randomUUID } from 'node:crypto';
import { DbDate, fromJson, iso, toDate } from '../lib/rows';

const SILENCES = 'model_ops_silences';
const MINUTE = 60_000;
const MAX_DURATION_MINUTES = 30 * 24 * 60;
const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

type SilenceRow = {
  id: string;
  model_id: string;
  entity_ref: string;
  kind: string;
  matchers: string;
  reason: string;
  created_by: string;
  created_at: DbDate;
  starts_at: DbDate;
  ends_at: DbDate;
  expired_at: DbDate | null;
  expired_by: string | null;
};

/**
 * A maintenance window from configuration (`modelOps.alerts.maintenanceWindows`): the models it
 * names are muted while it is on, once (`start`/`end`) or every week (`recurring`).
 *
 * @internal
 */
export interface MaintenanceWindow {
  name: string;
  /** Model ids or entity refs; `*` for every model. */
  models: string[];
  reason: string;
  start?: Date;
  end?: Date;
  recurring?: {
    days: Array<(typeof WEEKDAYS)[number]>;
    /** `HH:mm` in the window's zone. */
    at: string;
    durationMinutes: number;
    timezone: string;
  };
}

/** The fields a silence is made of, checked; what the API's body becomes. */
export interface NewSilence {
  kind: 'silence' | 'maintenance';
  matchers: SilenceMatchers;
  reason: string;
  startsAt: Date;
  endsAt: Date;
}

/**
 * Reads `modelOps.alerts.maintenanceWindows`, naming the key of any bad value.
 *
 * @internal
 */
export function readMaintenanceWindows(config: Config): MaintenanceWindow[] {
  const list =
    config.getOptionalConfigArray('modelOps.alerts.maintenanceWindows') ?? [];
  const names = new Set<string>();
  return list.map((item, index) => {
    const key = `modelOps.alerts.maintenanceWindows[${index}]`;
    const name = item.getString('name');
    if (!/^[a-z0-9][a-z0-9._-]{0,62}$/i.test(name)) {
      throw new Error(
        `${key}.name must be 1 to 63 letters, digits, '.', '_' or '-'`,
      );
    }
    if (names.has(name)) throw new Error(`${key}.name: "${name}" is repeated`);
    names.add(name);
    const models = item.getStringArray('models');
    if (models.length === 0) {
      throw new Error(`${key}.models must name at least one model`);
    }
    const window: MaintenanceWindow = {
      name,
      models,
      reason: item.getOptionalString('reason') ?? `maintenance window ${name}`,
    };
    const start = item.getOptionalString('start');
    const end = item.getOptionalString('end');
    const recurring = item.getOptionalConfig('recurring');
    if (recurring && (start || end)) {
      throw new Error(`${key}: give either start and end, or recurring`);
    }
    if (recurring) {
      const days = recurring.getStringArray('days').map(d => d.toLowerCase());
      for (const day of days) {
        if (!WEEKDAYS.includes(day as any)) {
          throw new Error(
            `${key}.recurring.days: "${day}" is not one of ${WEEKDAYS.join(
              ', ',
            )}`,
          );
        }
      }
      const at = recurring.getString('at');
      if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(at)) {
        throw new Error(`${key}.recurring.at must be HH:mm, e.g. 02:00`);
      }
      const durationMinutes = recurring.getNumber('durationMinutes');
      if (
        !Number.isInteger(durationMinutes) ||
        durationMinutes < 1 ||
        durationMinutes > 7 * 24 * 60
      ) {
        throw new Error(
          `${key}.recurring.durationMinutes must be a whole number from 1 to 10080`,
        );
      }
      const timezone = recurring.getOptionalString('timezone') ?? 'UTC';
      if (!DateTime.now().setZone(timezone).isValid) {
        throw new Error(
          `${key}.recurring.timezone: "${timezone}" is not a time zone`,
        );
      }
      window.recurring = {
        days: days as NonNullable<MaintenanceWindow['recurring']>['days'],
        at,
        durationMinutes,
        timezone,
      };
    } else {
      if (!start || !end) {
        throw new Error(`${key}: give start and end, or recurring`);
      }
      window.start = parseConfigDate(start, `${key}.start`);
      window.end = parseConfigDate(end, `${key}.end`);
      if (window.end <= window.start) {
        throw new Error(`${key}.end must be after start`);
      }
    }
    return window;
  });
}

function parseConfigDate(value: string, key: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw new Error(`${key} must be an ISO 8601 time`);
  }
  return date;
}

/**
 * The occurrence of a window that is on at `now`, or else the next one within a week (for the
 * tab), or none.
 *
 * @internal
 */
export function windowOccurrence(
  window: MaintenanceWindow,
  now: Date,
): { start: Date; end: Date } | undefined {
  if (!window.recurring) {
    return window.end! > now
      ? { start: window.start!, end: window.end! }
      : undefined;
  }
  const { days, at, durationMinutes, timezone } = window.recurring;
  const [hour, minute] = at.split(':').map(Number);
  const local = DateTime.fromJSDate(now).setZone(timezone);
  let next: { start: Date; end: Date } | undefined;
  // A window may last up to a week: look a week back for one still on, and a week ahead.
  for (let offset = -7; offset <= 7; offset++) {
    const day = local.plus({ days: offset });
    if (!days.includes(WEEKDAYS[day.weekday - 1])) continue;
    const start = day.set({ hour, minute, second: 0, millisecond: 0 });
    const end = start.plus({ minutes: durationMinutes });
    if (start.toMillis() <= now.getTime() && now.getTime() < end.toMillis()) {
      return { start: start.toJSDate(), end: end.toJSDate() };
    }
    if (start.toMillis() > now.getTime() && !next) {
      next = { start: start.toJSDate(), end: end.toJSDate() };
    }
  }
  return next;
}

function stringList(
  value: unknown,
  field: string,
  allowed?: readonly string[],
): string[] | undefined {
  if (value === undefined) return undefined;
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    value.length > 50 ||
    value.some(v => typeof v !== 'string' || v.length === 0 || v.length > 128)
  ) {
    throw new InputError(
      `${field} must be a list of 1 to 50 non-empty strings of at most 128 characters`,
    );
  }
  if (allowed) {
    const bad = value.find(v => !allowed.includes(v));
    if (bad !== undefined) {
      throw new InputError(
        `${field}: "${bad}" is not one of ${allowed.join(', ')}`,
      );
    }
  }
  return [...new Set(value as string[])];
}

/**
 * Checks the body of `POST .../silences`; an InputError names the first bad field.
 *
 * @internal
 */
export function parseSilenceRequest(body: unknown, now: Date): NewSilence {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InputError('The request body must be a JSON object');
  }
  const input = body as Record<string, unknown>;
  const known = new Set([
    'kind',
    'matchers',
    'reason',
    'startsAt',
    'endsAt',
    'durationMinutes',
  ]);
  const unknown = Object.keys(input).find(k => !known.has(k));
  if (unknown) throw new InputError(`${unknown} is not a field of a silence`);
  const kind = input.kind ?? 'silence';
  if (kind !== 'silence' && kind !== 'maintenance') {
    throw new InputError('kind must be silence or maintenance');
  }
  if (
    typeof input.reason !== 'string' ||
    !input.reason.trim() ||
    input.reason.length > 2000
  ) {
    throw new InputError(
      'reason must be a non-empty string of at most 2000 characters',
    );
  }
  let matchers: SilenceMatchers = {};
  if (input.matchers !== undefined) {
    if (kind === 'maintenance') {
      throw new InputError(
        'matchers: a maintenance window mutes the whole model and takes no matchers',
      );
    }
    const m = input.matchers;
    if (typeof m !== 'object' || m === null || Array.isArray(m)) {
      throw new InputError('matchers must be an object');
    }
    const raw = m as Record<string, unknown>;
    const extra = Object.keys(raw).find(
      k => !['alertType', 'severity', 'slot'].includes(k),
    );
    if (extra) {
      throw new InputError(
        `matchers.${extra} is not a matcher; use alertType, severity or slot`,
      );
    }
    matchers = {
      alertType: stringList(raw.alertType, 'matchers.alertType'),
      severity: stringList(raw.severity, 'matchers.severity', [
        'warning',
        'critical',
      ]) as SilenceMatchers['severity'],
      slot: stringList(raw.slot, 'matchers.slot', [
        ...SLOT_NAMES,
        'production',
      ]) as SilenceMatchers['slot'],
    };
    for (const key of Object.keys(matchers) as Array<keyof SilenceMatchers>) {
      if (matchers[key] === undefined) delete matchers[key];
    }
  }
  if (kind === 'silence' && Object.keys(matchers).length === 0) {
    throw new InputError(
      'matchers: a silence needs at least one matcher (alertType, severity or slot); a maintenance window mutes the whole model',
    );
  }
  const time = (value: unknown, field: string): Date | undefined => {
    if (value === undefined) return undefined;
    const date = typeof value === 'string' ? new Date(value) : undefined;
    if (!date || Number.isNaN(date.getTime())) {
      throw new InputError(`${field} must be an ISO 8601 time`);
    }
    return date;
  };
  const startsAt = time(input.startsAt, 'startsAt') ?? now;
  let endsAt = time(input.endsAt, 'endsAt');
  if (input.durationMinutes !== undefined) {
    if (endsAt) {
      throw new InputError(
        'durationMinutes: give endsAt or durationMinutes, not both',
      );
    }
    const minutes = input.durationMinutes;
    if (
      typeof minutes !== 'number' ||
      !Number.isInteger(minutes) ||
      minutes < 1 ||
      minutes > MAX_DURATION_MINUTES
    ) {
      throw new InputError(
        `durationMinutes must be a whole number from 1 to ${MAX_DURATION_MINUTES}`,
      );
    }
    endsAt = new Date(startsAt.getTime() + minutes * MINUTE);
  }
  if (!endsAt) throw new InputError('endsAt or durationMinutes is required');
  if (endsAt <= startsAt) throw new InputError('endsAt must be after startsAt');
  if (endsAt <= now) throw new InputError('endsAt must be in the future');
  if (endsAt.getTime() - startsAt.getTime() > MAX_DURATION_MINUTES * MINUTE) {
    throw new InputError('endsAt may be at most 30 days after startsAt');
  }
  if (startsAt.getTime() > now.getTime() + 365 * 24 * 60 * MINUTE) {
    throw new InputError('startsAt may be at most a year ahead');
  }
  return {
    kind,
    matchers,
    reason: input.reason.trim(),
    startsAt,
    endsAt,
  };
}

/**
 * Whether a silence's matchers take an alert.
 *
 * @internal
 */
export function silenceMatches(
  matchers: SilenceMatchers,
  alert: Pick<AlertRecord, 'alertType' | 'severity' | 'slot'>,
): boolean {
  return (
    (!matchers.alertType || matchers.alertType.includes(alert.alertType)) &&
    (!matchers.severity || matchers.severity.includes(alert.severity)) &&
    (!matchers.slot ||
      (alert.slot !== undefined && matchers.slot.includes(alert.slot)))
  );
}

/**
 * Silences and maintenance windows: those made through the API in the database, and the
 * configured maintenance windows; `mutedBy` says what mutes an alert at a time.
 *
 * @internal
 */
export class Silences {
  constructor(
    private readonly deps: {
      knex: Knex;
      windows: MaintenanceWindow[];
      newId?: () => string;
    },
  ) {}

  async create(
    model: { modelId: string; entityRef: string },
    silence: NewSilence,
    by: string,
    now: Date,
  ): Promise<Silence> {
    const id = (this.deps.newId ?? randomUUID)();
    await this.deps.knex(SILENCES).insert({
      id,
      model_id: model.modelId,
      entity_ref: model.entityRef,
      kind: silence.kind,
      matchers: JSON.stringify(silence.matchers),
      reason: silence.reason,
      created_by: by,
      created_at: now,
      starts_at: silence.startsAt,
      ends_at: silence.endsAt,
    });
    return (await this.get(model.modelId, id, now))!;
  }

  async get(
    modelId: string,
    id: string,
    now: Date,
  ): Promise<Silence | undefined> {
    const row: SilenceRow | undefined = await this.deps
      .knex(SILENCES)
      .where({ id, model_id: modelId })
      .first();
    return row ? toSilence(row, now) : undefined;
  }

  /** Ends a silence now; an ended one is returned as it is. */
  async expire(
    modelId: string,
    id: string,
    by: string,
    now: Date,
  ): Promise<Silence> {
    await this.deps
      .knex(SILENCES)
      .where({ id, model_id: modelId })
      .whereNull('expired_at')
      .andWhere('ends_at', '>', now)
      .update({ expired_at: now, expired_by: by });
    const silence = await this.get(modelId, id, now);
    if (!silence)
      throw new NotFoundError(`No silence ${id} of model ${modelId}`);
    return silence;
  }

  /**
   * The model's silences: the configured windows that name it (on, or next within a week) and
   * those made through the API that are on, pending, or ended in the last `days` days.
   */
  async list(
    model: { modelId: string; entityRef: string },
    now: Date,
    days = 7,
  ): Promise<Silence[]> {
    const rows: SilenceRow[] = await this.deps
      .knex(SILENCES)
      .where({ model_id: model.modelId })
      .andWhere(
        'ends_at',
        '>',
        new Date(now.getTime() - days * 24 * 60 * MINUTE),
      )
      .orderBy('starts_at', 'desc')
      .limit(200);
    const state = { pending: 1, active: 0, expired: 2 };
    return [
      ...this.configured(model, now),
      ...rows.map(row => toSilence(row, now)),
    ].sort((a, b) => state[a.state] - state[b.state]);
  }

  /**
   * What mutes an alert of the model at `now`: a silence id, `maintenance:<name>` for a
   * configured window, or undefined.
   */
  async mutedBy(
    model: { modelId: string; entityRef: string },
    alert: Pick<AlertRecord, 'alertType' | 'severity' | 'slot'>,
    now: Date,
    db: Knex | Knex.Transaction = this.deps.knex,
  ): Promise<string | undefined> {
    const window = this.configured(model, now).find(s => s.state === 'active');
    if (window) return window.id;
    const rows: SilenceRow[] = await db(SILENCES)
      .where({ model_id: model.modelId })
      .whereNull('expired_at')
      .andWhere('starts_at', '<=', now)
      .andWhere('ends_at', '>', now)
      .orderBy('created_at');
    return rows.find(
      row =>
        row.kind === 'maintenance' ||
        silenceMatches(fromJson<SilenceMatchers>(row.matchers, {}), alert),
    )?.id;
  }

  private configured(
    model: { modelId: string; entityRef: string },
    now: Date,
  ): Silence[] {
    const result: Silence[] = [];
    for (const window of this.deps.windows) {
      if (
        !window.models.some(
          m =>
            m === '*' ||
            m === model.modelId ||
            m.toLowerCase() === model.entityRef.toLowerCase(),
        )
      ) {
        continue;
      }
      const occurrence = windowOccurrence(window, now);
      if (!occurrence) continue;
      result.push({
        id: `maintenance:${window.name}`,
        modelId: model.modelId,
        kind: 'maintenance',
        source: 'config',
        matchers: {},
        reason: window.reason,
        startsAt: occurrence.start.toISOString(),
        endsAt: occurrence.end.toISOString(),
        state: occurrence.start <= now ? 'active' : 'pending',
      });
    }
    return result;
  }
}

function toSilence(row: SilenceRow, now: Date): Silence {
  const startsAt = toDate(row.starts_at);
  const endsAt = toDate(row.ends_at);
  let state: Silence['state'] = 'active';
  if (row.expired_at || endsAt <= now) state = 'expired';
  else if (startsAt > now) state = 'pending';
  return {
    id: row.id,
    modelId: row.model_id,
    kind: row.kind as Silence['kind'],
    source: 'api',
    matchers: fromJson<SilenceMatchers>(row.matchers, {}),
    reason: row.reason,
    createdBy: row.created_by,
    createdAt: iso(row.created_at),
    startsAt: startsAt.toISOString(),
    endsAt: endsAt.toISOString(),
    expiredAt: iso(row.expired_at),
    expiredBy: row.expired_by ?? undefined,
    state,
  };
}
