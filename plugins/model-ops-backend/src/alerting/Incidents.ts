import { NotFoundError } from '@backstage/errors';
import {
  AlertRecord,
  Incident,
  IncidentDetails,
  IncidentEvent,
  PrecedingChange,
} from '@model-ops/plugin-model-ops-common';
import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { DbDate, iso, toOptionalDate } from '../lib/rows';
import type { DeliveryStore } from './DeliveryStore';

const INCIDENTS = 'model_ops_incidents';
const ALERTS = 'model_ops_alerts';
const RUNS = 'model_ops_runs';
const SWITCHES = 'model_ops_switches';
const SILENCES = 'model_ops_silences';
const MINUTE = 60_000;

type IncidentRow = {
  id: string;
  model_id: string;
  entity_ref: string;
  state: string;
  title: string;
  severity: string;
  opened_at: DbDate;
  acknowledged_at: DbDate | null;
  acknowledged_by: string | null;
  resolved_at: DbDate | null;
  updated_at: DbDate;
};

type RunRow = {
  id: string;
  kind: string;
  version: string;
  status: string;
  previous_version: string | null;
  created_by: string | null;
  created_at: DbDate;
  finished_at: DbDate | null;
};

type SwitchRow = {
  id: string;
  kind: string;
  from_slot: string | null;
  to_slot: string;
  to_version: string | null;
  status: string;
  requested_by: string | null;
  started_at: DbDate;
  finished_at: DbDate | null;
};

const time = (value: DbDate | null | undefined) =>
  toOptionalDate(value)?.getTime();

function runSummary(run: RunRow): string {
  const what = run.kind === 'rollback' ? 'Rollback to' : 'Deployment of';
  return `${what} ${run.version} ${run.status.replace('_', ' ')}${
    run.previous_version ? ` (from ${run.previous_version})` : ''
  }`;
}

function switchSummary(row: SwitchRow): string {
  const label: Record<string, string> = {
    switch: 'Traffic switch',
    'rollback-switch': 'Switch rollback',
    deployment: 'Deployment switch',
    'canary-promotion': 'Canary promotion',
    'canary-abort': 'Canary abort',
  };
  return `${label[row.kind] ?? row.kind} to ${row.to_slot}${
    row.to_version ? ` (${row.to_version})` : ''
  } ${row.status.replace('_', ' ')}`;
}

/**
 * The deployment, rollback or switch of a model that finished (or was still going) within
 * `windowMs` before `at`, the newest of them.
 *
 * @internal
 */
export async function precedingChange(
  db: Knex | Knex.Transaction,
  modelId: string,
  at: Date,
  windowMs: number,
): Promise<PrecedingChange | undefined> {
  if (windowMs <= 0) return undefined;
  const since = new Date(at.getTime() - windowMs);
  const runs: RunRow[] = await db(RUNS)
    .where({ model_id: modelId })
    .andWhere('created_at', '<=', at)
    .andWhere(q =>
      q.whereNull('finished_at').orWhere('finished_at', '>=', since),
    )
    .orderBy('created_at', 'desc')
    .limit(5);
  const switches: SwitchRow[] = await db(SWITCHES)
    .where({ model_id: modelId })
    .andWhere('started_at', '<=', at)
    .andWhere(q =>
      q.whereNull('finished_at').orWhere('finished_at', '>=', since),
    )
    .orderBy('started_at', 'desc')
    .limit(5);
  const candidates: PrecedingChange[] = [
    ...runs.map(run => ({
      kind: (run.kind === 'rollback'
        ? 'rollback'
        : 'deployment') as PrecedingChange['kind'],
      id: run.id,
      at: iso(run.finished_at ?? run.created_at)!,
      summary: runSummary(run),
      version: run.version,
    })),
    ...switches.map(row => ({
      kind: 'switch' as const,
      id: row.id,
      at: iso(row.finished_at ?? row.started_at)!,
      summary: switchSummary(row),
      version: row.to_version ?? undefined,
    })),
  ];
  candidates.sort(
    (a, b) => new Date(b.at).getTime() - new Date(a.at).getTime(),
  );
  return candidates[0];
}

/**
 * Incidents: the firing alerts of a model that overlap in time are one incident. An alert
 * joins the model's open incident when it is first notified (one is opened when there is none;
 * a unique index keeps it one per model across replicas); the incident resolves with its last
 * alert. Reads build the timeline around it and its Markdown report.
 *
 * @internal
 */
export class Incidents {
  constructor(
    private readonly deps: {
      knex: Knex;
      deliveries: DeliveryStore;
      /** How long before an alert a change counts as its preceding change. */
      changeWindowMs: number;
      newId?: () => string;
    },
  ) {}

  /** Puts firing alerts of one model into its open incident, opening one if needed. */
  async attach(
    tx: Knex.Transaction,
    model: { modelId: string; entityRef: string },
    alerts: AlertRecord[],
    now: Date,
  ): Promise<string | undefined> {
    if (alerts.length === 0) return undefined;
    const critical = alerts.some(a => a.severity === 'critical');
    let open: IncidentRow | undefined = await tx(INCIDENTS)
      .where({ model_id: model.modelId, state: 'open' })
      .first();
    if (!open) {
      const id = (this.deps.newId ?? randomUUID)();
      const types = [...new Set(alerts.map(a => a.alertType))].join(', ');
      await tx(INCIDENTS)
        .insert({
          id,
          model_id: model.modelId,
          entity_ref: model.entityRef,
          state: 'open',
          title: `${model.modelId}: ${types}`.slice(0, 512),
          severity: critical ? 'critical' : 'warning',
          opened_at: now,
          updated_at: now,
        })
        .onConflict()
        .ignore();
      open = await tx(INCIDENTS)
        .where({ model_id: model.modelId, state: 'open' })
        .first();
      if (!open) return undefined;
    } else if (critical && open.severity !== 'critical') {
      await tx(INCIDENTS)
        .where({ id: open.id })
        .update({ severity: 'critical', updated_at: now });
    }
    await tx(ALERTS)
      .whereIn(
        'id',
        alerts.map(a => a.id),
      )
      .whereNull('incident_id')
      .update({ incident_id: open.id });
    for (const alert of alerts) alert.incidentId ??= open.id;
    return open.id;
  }

  /** Resolves the model's open incident when none of its alerts is open any more. */
  async settle(
    tx: Knex.Transaction,
    modelId: string,
    now: Date,
  ): Promise<void> {
    const open: IncidentRow | undefined = await tx(INCIDENTS)
      .where({ model_id: modelId, state: 'open' })
      .first();
    if (!open) return;
    const still = await tx(ALERTS)
      .where({ incident_id: open.id })
      .whereIn('state', ['pending', 'firing'])
      .first('id');
    if (still) return;
    await tx(INCIDENTS)
      .where({ id: open.id, state: 'open' })
      .update({ state: 'resolved', resolved_at: now, updated_at: now });
  }

  /** Notes the first acknowledgement of one of the incident's alerts. */
  async acknowledged(
    tx: Knex.Transaction,
    alert: AlertRecord,
    now: Date,
  ): Promise<void> {
    if (!alert.incidentId) return;
    await tx(INCIDENTS)
      .where({ id: alert.incidentId })
      .whereNull('acknowledged_at')
      .update({
        acknowledged_at: now,
        acknowledged_by: alert.acknowledgedBy ?? null,
        updated_at: now,
      });
  }

  /** Incidents of some models (all when not given), newest first. */
  async list(filter: {
    modelIds?: string[];
    /** Open ones, plus those resolved after this time. */
    openOrResolvedAfter?: Date;
    limit?: number;
  }): Promise<Incident[]> {
    const query = this.deps
      .knex<IncidentRow>(INCIDENTS)
      .orderBy([
        { column: 'opened_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(filter.limit ?? 100);
    if (filter.modelIds) query.whereIn('model_id', filter.modelIds);
    if (filter.openOrResolvedAfter) {
      const after = filter.openOrResolvedAfter;
      query.andWhere(q =>
        q.where({ state: 'open' }).orWhere('resolved_at', '>=', after),
      );
    }
    const rows = await query;
    const counts = await this.alertCounts(rows.map(r => r.id));
    return rows.map(row => toIncident(row, counts.get(row.id) ?? 0));
  }

  /** One incident of a model with its alerts and timeline; a 404 for another model's. */
  async details(
    modelId: string,
    id: string,
    extra: {
      runbook?: string;
      alerts: (incidentId: string) => Promise<AlertRecord[]>;
      now: Date;
    },
  ): Promise<IncidentDetails> {
    const row: IncidentRow | undefined = await this.deps
      .knex(INCIDENTS)
      .where({ id, model_id: modelId })
      .first();
    if (!row) throw new NotFoundError(`No incident ${id} of model ${modelId}`);
    const alerts = (await extra.alerts(id)).sort(
      (a, b) =>
        new Date(a.firingAt ?? a.startsAt).getTime() -
        new Date(b.firingAt ?? b.startsAt).getTime(),
    );
    const incident = toIncident(row, alerts.length);
    incident.runbook = extra.runbook;
    incident.change = alerts.find(a => a.change)?.change;
    const from = new Date(
      time(row.opened_at)! - Math.max(this.deps.changeWindowMs, 30 * MINUTE),
    );
    const to = new Date(time(row.resolved_at) ?? extra.now.getTime());
    return {
      incident,
      alerts,
      timeline: await this.timeline(modelId, alerts, from, to),
    };
  }

  private async timeline(
    modelId: string,
    alerts: AlertRecord[],
    from: Date,
    to: Date,
  ): Promise<IncidentEvent[]> {
    const events: IncidentEvent[] = [];
    for (const a of alerts) {
      const what = `${a.alertType}${a.slot ? ` on ${a.slot}` : ''}`;
      events.push({
        at: a.firingAt ?? a.startsAt,
        kind: 'alert-firing',
        alertId: a.id,
        summary: `${what} firing (${a.severity}): ${a.summary}${
          a.version ? `; serving ${a.version}` : ''
        }${a.silencedBy ? `; muted by ${a.silencedBy}` : ''}`,
      });
      if (a.acknowledgedAt) {
        events.push({
          at: a.acknowledgedAt,
          kind: 'alert-acknowledged',
          alertId: a.id,
          actor: a.acknowledgedBy,
          summary: `${what} acknowledged${
            a.acknowledgedComment ? `: ${a.acknowledgedComment}` : ''
          }`,
        });
      }
      if (a.escalatedAt) {
        events.push({
          at: a.escalatedAt,
          kind: 'alert-escalated',
          alertId: a.id,
          summary: `${what} escalated: ${a.escalation ?? ''}`.trim(),
        });
      }
      if (a.resolvedAt) {
        events.push({
          at: a.resolvedAt,
          kind: 'alert-resolved',
          alertId: a.id,
          summary: `${what} resolved`,
        });
      }
    }
    for (const d of await this.deps.deliveries.listForAlerts(
      alerts.map(a => a.id),
    )) {
      if (d.status === 'sent' && d.sentAt) {
        events.push({
          at: d.sentAt,
          kind: 'notification-sent',
          ref: d.id,
          summary: `${d.kind} notification sent to ${d.channelId}${
            d.attempts > 1 ? ` after ${d.attempts} attempts` : ''
          }`,
        });
      } else if (d.status === 'failed') {
        events.push({
          at: d.failedAt ?? d.createdAt,
          kind: 'notification-failed',
          ref: d.id,
          summary: `${d.kind} notification to ${d.channelId} failed after ${
            d.attempts
          } attempts${d.lastError ? `: ${d.lastError}` : ''}`,
        });
      }
    }
    const db = this.deps.knex;
    const runs: RunRow[] = await db(RUNS)
      .where({ model_id: modelId })
      .andWhere('created_at', '<=', to)
      .andWhere(q =>
        q.whereNull('finished_at').orWhere('finished_at', '>=', from),
      )
      .orderBy('created_at')
      .limit(50);
    for (const run of runs) {
      events.push({
        at: iso(run.finished_at ?? run.created_at)!,
        kind: run.kind === 'rollback' ? 'rollback' : 'deployment',
        ref: run.id,
        actor: run.created_by ?? undefined,
        summary: runSummary(run),
      });
    }
    const switches: SwitchRow[] = await db(SWITCHES)
      .where({ model_id: modelId })
      .andWhere('started_at', '<=', to)
      .andWhere(q =>
        q.whereNull('finished_at').orWhere('finished_at', '>=', from),
      )
      .orderBy('started_at')
      .limit(50);
    for (const row of switches) {
      events.push({
        at: iso(row.finished_at ?? row.started_at)!,
        kind: 'switch',
        ref: row.id,
        actor: row.requested_by ?? undefined,
        summary: switchSummary(row),
      });
    }
    const silences: Array<{
      id: string;
      kind: string;
      reason: string;
      created_by: string;
      created_at: DbDate;
    }> = await db(SILENCES)
      .where({ model_id: modelId })
      .andWhere('created_at', '>=', from)
      .andWhere('created_at', '<=', to)
      .orderBy('created_at')
      .limit(50);
    for (const s of silences) {
      events.push({
        at: iso(s.created_at)!,
        kind: 'silence',
        ref: s.id,
        actor: s.created_by,
        summary: `${
          s.kind === 'maintenance' ? 'Maintenance window' : 'Silence'
        } created: ${s.reason}`,
      });
    }
    return events.sort(
      (a, b) => new Date(a.at).getTime() - new Date(b.at).getTime(),
    );
  }

  private async alertCounts(ids: string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    if (ids.length === 0) return counts;
    const rows: Array<{ incident_id: string; n: number | string }> =
      await this.deps
        .knex(ALERTS)
        .whereIn('incident_id', ids)
        .groupBy('incident_id')
        .select('incident_id')
        .count({ n: '*' });
    for (const row of rows) counts.set(row.incident_id, Number(row.n));
    return counts;
  }
}

function toIncident(row: IncidentRow, alertCount: number): Incident {
  const opened = time(row.opened_at)!;
  const acknowledged = time(row.acknowledged_at);
  const resolved = time(row.resolved_at);
  return {
    id: row.id,
    modelId: row.model_id,
    entityRef: row.entity_ref,
    state: row.state as Incident['state'],
    title: row.title,
    severity: row.severity as Incident['severity'],
    openedAt: iso(row.opened_at)!,
    acknowledgedAt: iso(row.acknowledged_at),
    acknowledgedBy: row.acknowledged_by ?? undefined,
    resolvedAt: iso(row.resolved_at),
    timeToAcknowledgeSeconds:
      acknowledged !== undefined
        ? Math.round((acknowledged - opened) / 1000)
        : undefined,
    timeToResolveSeconds:
      resolved !== undefined
        ? Math.round((resolved - opened) / 1000)
        : undefined,
    alertCount,
  };
}

function duration(seconds: number | undefined): string {
  if (seconds === undefined) return '-';
  if (seconds < 90) return `${seconds} s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** A figure as people read it: at most 6 significant digits. */
const figure = (value: number) => String(Number(value.toPrecision(6)));

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/**
 * The post-incident report of an incident, as Markdown.
 *
 * @internal
 */
export function incidentReport(
  details: IncidentDetails,
  options: { url?: string; generatedAt: Date },
): string {
  const { incident, alerts, timeline } = details;
  const lines: string[] = [
    `# Incident: ${incident.title}`,
    '',
    `| | |`,
    `|---|---|`,
    `| Model | ${cell(incident.modelId)} (${cell(incident.entityRef)}) |`,
    `| State | ${incident.state} |`,
    `| Severity | ${incident.severity} |`,
    `| Opened | ${incident.openedAt} |`,
    `| Acknowledged | ${
      incident.acknowledgedAt
        ? `${incident.acknowledgedAt} by ${cell(
            incident.acknowledgedBy ?? 'unknown',
          )}`
        : 'not acknowledged'
    } |`,
    `| Resolved | ${incident.resolvedAt ?? 'still open'} |`,
    `| Time to acknowledge | ${duration(incident.timeToAcknowledgeSeconds)} |`,
    `| Time to resolve | ${duration(incident.timeToResolveSeconds)} |`,
    `| Alerts | ${incident.alertCount} |`,
  ];
  if (incident.runbook) lines.push(`| Runbook | ${cell(incident.runbook)} |`);
  if (options.url) lines.push(`| Alerts tab | ${cell(options.url)} |`);
  if (incident.change) {
    lines.push(
      '',
      '## Preceding change',
      '',
      `${incident.change.summary}, at ${incident.change.at} (${incident.change.kind} ${incident.change.id}).`,
    );
  }
  lines.push(
    '',
    '## Alerts',
    '',
    '| Alert | Severity | Slot | Version | Value | Threshold | Fired | Resolved |',
    '|---|---|---|---|---|---|---|---|',
    ...alerts.map(
      a =>
        `| ${cell(a.alertType)} | ${a.severity} | ${a.slot ?? '-'} | ${cell(
          a.version ?? '-',
        )} | ${figure(a.value)} | ${figure(a.threshold)} | ${
          a.firingAt ?? a.startsAt
        } | ${a.resolvedAt ?? '-'} |`,
    ),
    '',
    '## Timeline',
    '',
    '| Time | Event | Detail | By |',
    '|---|---|---|---|',
    ...timeline.map(
      e =>
        `| ${e.at} | ${e.kind} | ${cell(e.summary)} | ${cell(e.actor ?? '')} |`,
    ),
    '',
    '## Follow-up',
    '',
    '- Root cause:',
    '- What went well:',
    '- What to change:',
    '',
    `_Generated by Model Ops at ${options.generatedAt.toISOString()}._`,
    '',
  );
  return lines.join('\n');
}
