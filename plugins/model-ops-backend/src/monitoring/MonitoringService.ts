import {
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { CompoundEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import {
  AlertRecord,
  AlertState,
  MODEL_METRICS,
  MODEL_METRIC_KEYS,
  MetricStatus,
  MetricsResponse,
  ModelMetric,
  ModelSpec,
  ModelStatusResponse,
  RuleSet,
} from '@model-ops/plugin-model-ops-common';
import {
  MetricCollectProblem,
  MetricSource,
  MetricTarget,
} from '@model-ops/plugin-model-ops-node';
import { ModelIndex, ModelStore, isExternalModel } from '../models';
import type { MonitoringService, TickProblem, TickResult } from './types';
import { AlertStore } from './AlertStore';
import { MetricsStore, MonitoringState } from './MetricsStore';
import { ModelHealth, RuleEvaluator, ruleLevel } from './RuleEvaluator';
import {
  AlertModelContext,
  DeliveryPlanner,
  PlanResult,
  alertModelContext,
} from '../alerting/DeliveryPlanner';

const MINUTE = 60_000;
const ALERT_STATES: AlertState[] = ['pending', 'firing', 'resolved'];
/** The longest window a tick collects: after a longer pause it starts this many ticks back. */
export const MAX_WINDOW_INTERVALS = 10;

/**
 * Where the window of a tick at `now` starts: at the end of the last tick's (on any replica), but
 * at most {@link MAX_WINDOW_INTERVALS} intervals back; one interval back without a last tick, or
 * when the last tick's end is not before `now` (the clocks of two replicas disagree).
 *
 * @internal
 */
export function windowStart(
  lastTickAt: Date | undefined,
  now: Date,
  intervalSeconds: number,
): Date {
  const intervalMs = intervalSeconds * 1000;
  if (!lastTickAt || lastTickAt.getTime() >= now.getTime()) {
    return new Date(now.getTime() - intervalMs);
  }
  return new Date(
    Math.max(
      lastTickAt.getTime(),
      now.getTime() - MAX_WINDOW_INTERVALS * intervalMs,
    ),
  );
}

/**
 * The monitoring capability: a tick collects every model's metrics from its source (one batch
 * per source), stores them per minute, evaluates the model's rules into alert states and sets the
 * model's status; reads serve the Alerts tab (status, series, alerts).
 *
 * @internal
 */
export class DefaultMonitoringService implements MonitoringService {
  private lastTick?: Date;

  constructor(
    private readonly deps: {
      models: ModelIndex;
      logger: LoggerService;
      store: ModelStore;
      metrics: MetricsStore;
      alerts: AlertStore;
      evaluator: RuleEvaluator;
      ruleSets: Map<string, RuleSet>;
      getMetricSource: (id: string) => MetricSource | undefined;
      /** Writes the notifications of alert changes in their transaction (the outbox). */
      planner?: DeliveryPlanner;
      /** How often ticks run; values older than three ticks count as stale. */
      intervalSeconds: number;
      /**
       * The end of the last tick and the sources' state, shared by the replicas (the database);
       * without it the last tick is remembered in memory and sources keep their own state.
       */
      state?: MonitoringState;
      now?: () => Date;
    },
  ) {}

  private now() {
    return this.deps.now ? this.deps.now() : new Date();
  }

  /** One collection and evaluation across all models. */
  async tick(): Promise<TickResult> {
    const started = performance.now();
    const now = this.now();
    const specs = await this.deps.models.specs();

    // Targets: every model with something running, grouped by metric source, and every model
    // Model Ops does not run (external), without slots: its source knows it by model id.
    // One round trip for all models' slots, not one per model.
    const bySource = new Map<string, MetricTarget[]>();
    const targets = new Map<string, MetricTarget>();
    const storedSlots = await this.deps.store.getSlotsMany(
      specs.filter(spec => !isExternalModel(spec)).map(spec => spec.modelId),
    );
    for (const spec of specs) {
      const slots = isExternalModel(spec)
        ? []
        : (storedSlots.get(spec.modelId) ?? []).filter(
            s => s.state === 'running' && s.endpoint && s.slot !== 'testing',
          );
      if (slots.length === 0 && !isExternalModel(spec)) continue;
      const list = bySource.get(spec.metricsSource) ?? [];
      const target: MetricTarget = {
        modelId: spec.modelId,
        entityRef: spec.entityRef,
        slots: slots.map(s => ({
          slot: s.slot,
          endpoint: s.endpoint,
          version: s.version,
        })),
      };
      list.push(target);
      targets.set(spec.modelId, target);
      bySource.set(spec.metricsSource, list);
    }
    const state = this.deps.state;
    const lastTickAt = state ? await state.lastTickAt() : this.lastTick;
    const window = {
      from: windowStart(lastTickAt, now, this.deps.intervalSeconds),
      to: now,
    };
    let samples = 0;
    // What a source could not collect, reported by it or by its failure: data missing for a
    // reason is never silent (the tick's result and its log say so).
    const problems: TickProblem[] = [];
    for (const [sourceId, sourceTargets] of bySource) {
      const source = this.deps.getMetricSource(sourceId);
      if (!source) {
        const message = `No metric source "${sourceId}" for ${sourceTargets.length} models`;
        problems.push({ source: sourceId, message });
        this.deps.logger.warn(message);
        continue;
      }
      const reportProblem = (problem: MetricCollectProblem) =>
        problems.push({ source: sourceId, ...problem });
      try {
        const collected = state
          ? await source.collect(sourceTargets, window, {
              state: state.source(sourceId),
              reportProblem,
            })
          : await source.collect(sourceTargets, window, { reportProblem });
        samples += await this.deps.metrics.writeSamples(collected);
      } catch (error) {
        problems.push({
          source: sourceId,
          message: `Collecting failed: ${error}`,
        });
        this.deps.logger.warn(`Collecting from ${sourceId} failed: ${error}`);
      }
    }
    this.lastTick = now;
    if (state) {
      try {
        await state.setLastTickAt(now);
      } catch (error) {
        // The next tick then collects a longer window (bounded), which is still right.
        this.deps.logger.warn(`Storing the end of the tick failed: ${error}`);
      }
    }

    // Rules: the newest values (not stale) against each model's rule set.
    const since = new Date(
      now.getTime() - 3 * this.deps.intervalSeconds * 1000 - MINUTE,
    );
    const latest = await this.deps.metrics.latestMany(
      specs.map(s => s.modelId),
      { since },
    );
    const newlyFiring: AlertRecord[] = [];
    const resolved: AlertRecord[] = [];
    // The open alerts of all models at once; a model's alerts are written (in a transaction of
    // its own, with their notifications) only when its rules changed something, and the
    // statuses of all models are set together at the end.
    const openByModel = await this.deps.alerts.listOpenMany(
      specs.map(s => s.modelId),
    );
    const statuses = new Map<string, ModelHealth>();
    for (const spec of specs) {
      const ruleSet =
        this.deps.ruleSets.get(spec.rules) ??
        this.deps.ruleSets.get('default')!;
      const evaluation = this.deps.evaluator.evaluate({
        modelId: spec.modelId,
        entityRef: spec.entityRef,
        ruleSet,
        latest: (latest.get(spec.modelId) ?? []).map(v => ({
          slot: v.slot,
          metric: v.metric,
          value: v.value,
        })),
        openAlerts: openByModel.get(spec.modelId) ?? [],
      });
      const planner = this.deps.planner;
      const context = planner ? this.alertContext(spec, targets) : undefined;
      const applied = await this.deps.alerts.apply(evaluation.transitions, {
        within: planner
          ? async (tx, changes) => {
              const plan = await planner.plan(tx, changes, context!, now);
              this.reportPlan(spec.modelId, plan);
            }
          : undefined,
      });
      if (planner) {
        const open =
          evaluation.transitions.length > 0
            ? await this.deps.alerts.listOpen(spec.modelId)
            : openByModel.get(spec.modelId) ?? [];
        const firing = open.filter(a => a.state === 'firing');
        if (firing.length) {
          const plan = await planner.transaction(tx =>
            planner.planRepeats(tx, firing, context!, now),
          );
          this.reportPlan(spec.modelId, plan);
        }
      }
      newlyFiring.push(...applied.newlyFiring);
      resolved.push(...applied.resolved);
      statuses.set(spec.modelId, evaluation.status);
    }
    await this.deps.alerts.setModelStatuses(statuses);
    const durationMs = performance.now() - started;
    const summary = `Monitoring tick: ${
      specs.length
    } models, ${samples} samples, ${newlyFiring.length} alerts firing, ${
      resolved.length
    } resolved, ${Math.round(durationMs)} ms${
      problems.length
        ? `; ${problems.length} collection problems, data missing (first: ${problems[0].source}: ${problems[0].message})`
        : ''
    }`;
    if (problems.length) this.deps.logger.warn(summary);
    else if (newlyFiring.length || resolved.length)
      this.deps.logger.info(summary);
    else this.deps.logger.debug(summary);
    return {
      models: specs.length,
      samples,
      newlyFiring,
      resolved,
      durationMs,
      problems,
    };
  }

  /** What alert messages say of a model: its route, owner, runbook and serving versions. */
  private alertContext(
    spec: ModelSpec,
    targets: Map<string, MetricTarget>,
  ): AlertModelContext {
    return alertModelContext(
      spec,
      this.deps.models.peek(spec.modelId)?.entity?.spec?.owner,
      targets.get(spec.modelId)?.slots ?? [],
    );
  }

  private reportPlan(modelId: string, plan: PlanResult) {
    if (plan.unknownChannels.length) {
      this.deps.logger.debug(
        `Alerts of ${modelId}: no channel ${plan.unknownChannels.join(
          ', ',
        )} is configured; nothing is sent there`,
      );
    }
    for (const escalation of plan.escalations) {
      this.deps.logger.info(
        `Escalated alert ${escalation.alertId}: ${escalation.reason}`,
      );
    }
  }

  async status(
    ref: CompoundEntityRef,
    credentials: BackstageCredentials,
  ): Promise<ModelStatusResponse> {
    const spec = await this.loadSpec(ref, credentials);
    const now = this.now();
    const ruleSet =
      this.deps.ruleSets.get(spec.rules) ?? this.deps.ruleSets.get('default')!;
    const hour = await this.deps.metrics.series(
      spec.modelId,
      MODEL_METRIC_KEYS,
      new Date(now.getTime() - 60 * MINUTE),
      now,
      60,
    );
    const [recent, previous] = await Promise.all([
      this.deps.metrics.average(
        spec.modelId,
        MODEL_METRIC_KEYS,
        new Date(now.getTime() - 10 * MINUTE),
        now,
      ),
      this.deps.metrics.average(
        spec.modelId,
        MODEL_METRIC_KEYS,
        new Date(now.getTime() - 20 * MINUTE),
        new Date(now.getTime() - 10 * MINUTE),
      ),
    ]);
    const stale =
      now.getTime() - (3 * this.deps.intervalSeconds * 1000 + MINUTE);
    let collectedAt: Date | undefined;
    const metrics: MetricStatus[] = hour.map(series => {
      const metric = series.metric as ModelMetric;
      const last = series.points[series.points.length - 1];
      const fresh =
        last && new Date(last.t).getTime() >= stale ? last : undefined;
      if (fresh && (!collectedAt || new Date(fresh.t) > collectedAt))
        collectedAt = new Date(fresh.t);
      const rule = ruleSet.rules.find(r => r.metric === metric);
      let level: MetricStatus['level'] = 'unknown';
      if (fresh !== undefined)
        level = rule ? ruleLevel(rule, fresh.value) : 'ok';
      const current = recent[metric];
      const before = previous[metric];
      return {
        metric,
        unit: MODEL_METRICS[metric].unit,
        value: fresh?.value,
        warning: rule?.warning,
        critical: rule?.critical,
        level,
        trend:
          current !== undefined && before !== undefined
            ? this.deps.evaluator.trend(current, before, metric)
            : undefined,
        sparkline: series.points,
      };
    });
    if (collectedAt) {
      // The series holds each minute's start; the header says when the newest value was taken.
      const since = collectedAt;
      const newest = (await this.deps.metrics.latest(spec.modelId, { since }))
        .map(sample => sample.sampledAt.getTime())
        .reduce((a, b) => Math.max(a, b), since.getTime());
      collectedAt = new Date(Math.min(newest, now.getTime()));
    }
    const stored = await this.deps.store.getModel(spec.modelId);
    const alerts = await this.deps.alerts.list({
      modelId: spec.modelId,
      limit: 50,
    });
    const dayAgo = now.getTime() - 24 * 60 * MINUTE;
    return {
      status: stored?.status ?? 'unknown',
      collectedAt: collectedAt?.toISOString(),
      metrics,
      alerts: alerts.filter(
        a =>
          a.state !== 'resolved' ||
          (a.resolvedAt && new Date(a.resolvedAt).getTime() >= dayAgo),
      ),
    };
  }

  async series(
    ref: CompoundEntityRef,
    query: { from?: unknown; to?: unknown; step?: unknown },
    credentials: BackstageCredentials,
  ): Promise<MetricsResponse> {
    const now = this.now();
    const to = query.to === undefined ? now : new Date(String(query.to));
    const from =
      query.from === undefined
        ? new Date(to.getTime() - 60 * MINUTE)
        : new Date(String(query.from));
    if (Number.isNaN(from.getTime()))
      throw new InputError('from must be an ISO 8601 time');
    if (Number.isNaN(to.getTime()))
      throw new InputError('to must be an ISO 8601 time');
    if (from >= to) throw new InputError('from must be before to');
    if (to.getTime() - from.getTime() > 31 * 24 * 60 * MINUTE) {
      throw new InputError('from and to may be at most 31 days apart');
    }
    const step = query.step === undefined ? 60 : Number(query.step);
    if (step !== 60 && step !== 3600)
      throw new InputError('step must be 60 or 3600');
    const spec = await this.loadSpec(ref, credentials);
    return {
      from: from.toISOString(),
      to: to.toISOString(),
      stepSeconds: step,
      series: await this.deps.metrics.series(
        spec.modelId,
        MODEL_METRIC_KEYS,
        from,
        to,
        step,
      ),
    };
  }

  async listAlerts(
    ref: CompoundEntityRef,
    state: unknown,
    credentials: BackstageCredentials,
  ): Promise<AlertRecord[]> {
    if (state !== undefined && !ALERT_STATES.includes(state as AlertState)) {
      throw new InputError(`state must be one of ${ALERT_STATES.join(', ')}`);
    }
    const spec = await this.loadSpec(ref, credentials);
    return this.deps.alerts.list({
      modelId: spec.modelId,
      state: state as AlertState | undefined,
      limit: 200,
    });
  }

  /** Firing alerts per model, for the model list. */
  async openAlertCounts(modelIds: string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    if (modelIds.length === 0) return counts;
    for (const alert of await this.deps.alerts.list({
      modelId: modelIds,
      state: 'firing',
    })) {
      counts.set(alert.modelId, (counts.get(alert.modelId) ?? 0) + 1);
    }
    return counts;
  }

  private async loadSpec(
    ref: CompoundEntityRef,
    credentials: BackstageCredentials,
  ): Promise<ModelSpec> {
    // Metrics and alerts are shown even when another annotation has a problem.
    return (await this.deps.models.resolve(ref, credentials, { lenient: true }))
      .spec;
  }
}
