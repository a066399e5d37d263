import { LoggerService } from '@backstage/backend-plugin-api';
import {
  RuleSet,
  StageCheck,
  SwitchRecord,
} from '@model-ops/plugin-model-ops-common';
import { randomUUID } from 'node:crypto';
import { probe, round } from '../lib/probe';
import { healthLimitsOf } from './healthLimits';
import { SwitchStore } from './SwitchStore';
import {
  CanaryAbortRecord,
  HealthLimits,
  SwitchFailure,
  SwitchRequest,
  TrafficSwitching,
} from './TrafficSwitching';

/**
 * How a switch is verified and watched (`modelOps.environments`).
 *
 * @internal
 */
export interface SwitchOptions {
  /** Probe requests that must all reach the new color's version. */
  probes: number;
  /** How long live health is watched after the switch. */
  healthWatchSeconds: number;
  /** Pause between watch requests. */
  watchIntervalMs: number;
  /** How long the old color stays warm for instant rollback. */
  warmSeconds: number;
  /** Inputs sent while verifying and watching (production-like). */
  inputs: string[];
}

/**
 * The {@link TrafficSwitching} on a model's runtime and the switch store: set the weights,
 * verify that probes reach the new version (`x-model-version`), watch health for a window, then
 * commit the new active color in one transaction. On any failed step traffic returns to the old
 * color. Every step is recorded in the switch history.
 *
 * @internal
 */
export class TrafficSwitcher implements TrafficSwitching {
  constructor(
    private readonly deps: {
      switches: SwitchStore;
      logger: LoggerService;
      options: SwitchOptions;
      /** The rule sets that health limits come from; the seed's warning levels without them. */
      ruleSets?: ReadonlyMap<string, RuleSet>;
      now?: () => Date;
    },
  ) {}

  private now() {
    return this.deps.now ? this.deps.now() : new Date();
  }

  healthLimits(rules: string): HealthLimits {
    return healthLimitsOf(this.deps.ruleSets ?? new Map(), rules);
  }

  /**
   * Records a canary abort: the canary's weight went back to 0 and the stable color, still
   * active, has all traffic again.
   */
  async recordAbort(request: CanaryAbortRecord): Promise<SwitchRecord> {
    const record = await this.deps.switches.begin({
      id: randomUUID(),
      modelId: request.modelId,
      kind: 'canary-abort',
      from: request.from,
      to: request.to,
      fromVersion: request.fromVersion,
      toVersion: request.toVersion,
      runId: request.runId,
      reason: request.reason,
    });
    await this.deps.switches.close(record.id, [
      {
        name: 'traffic',
        ok: true,
        detail: `100 % to ${request.to}, 0 % to ${request.from}`,
        at: this.now().toISOString(),
      },
    ]);
    return (await this.deps.switches.get(record.id))!;
  }

  async switch(request: SwitchRequest): Promise<SwitchRecord> {
    const { runtime, model, from, to, limits } = request;
    const { options, switches } = this.deps;
    const record = await switches.begin({
      id: randomUUID(),
      modelId: model.modelId,
      kind: request.kind,
      from,
      to,
      fromVersion: request.fromVersion,
      toVersion: request.toVersion,
      requestedBy: request.requestedBy,
      reason: request.reason,
      runId: request.runId,
    });
    const checks: StageCheck[] = [];
    const check = async (
      name: string,
      ok: boolean,
      detail: string,
      durationMs?: number,
    ) => {
      const entry: StageCheck = {
        name,
        ok,
        detail,
        at: this.now().toISOString(),
        durationMs:
          durationMs === undefined ? undefined : Math.round(durationMs),
      };
      checks.push(entry);
      await switches.recordChecks(record.id, checks);
      await request.onCheck?.(entry);
    };

    const started = performance.now();
    let committed: SwitchRecord;
    try {
      await runtime.setTraffic({
        model,
        weights: { [to]: 100, ...(from && from !== to ? { [from]: 0 } : {}) },
      });
      const description = await runtime.describe({ model });
      const endpoint = description.productionEndpoint;
      if (!endpoint)
        throw new Error(`runtime ${runtime.id} reports no production endpoint`);
      await check(
        'traffic',
        true,
        `100 % to ${to}${from ? `, 0 % to ${from}` : ''}`,
        performance.now() - started,
      );
      await request.onStep?.('traffic-set');

      const versionProbe = await probe({
        endpoint,
        inputs: options.inputs,
        count: options.probes,
      });
      const answered = versionProbe.samples.map(s => s.version ?? 'none');
      const wrong = answered.filter(v => v !== request.toVersion).length;
      const probesOk = wrong === 0;
      await check(
        'probe-version',
        probesOk,
        `${options.probes - wrong} of ${options.probes} probes answered by ${
          request.toVersion
        }${probesOk ? '' : ` (seen: ${[...new Set(answered)].join(', ')})`}`,
      );
      if (!probesOk) {
        throw new SwitchFailure(
          `${wrong} of ${options.probes} probes did not reach ${request.toVersion}`,
        );
      }
      await request.onStep?.('probes-ok');

      // Health watch: production-like traffic through the production endpoint for the window.
      const watch = await probe({
        endpoint,
        inputs: options.inputs,
        durationMs: options.healthWatchSeconds * 1000,
        intervalMs: options.watchIntervalMs,
      });
      const healthy =
        watch.errorRatePct <= limits.maxErrorRatePct &&
        watch.p95Ms <= limits.maxP95Ms;
      await check(
        'health-watch',
        healthy,
        `${watch.requests} requests over ${round(
          watch.elapsedMs / 1000,
          1,
        )} s: error rate ${round(watch.errorRatePct)} % (max ${
          limits.maxErrorRatePct
        } %), p95 ${round(watch.p95Ms)} ms (max ${limits.maxP95Ms} ms)`,
      );
      if (!healthy) {
        throw new SwitchFailure(
          `Health watch failed after switching to ${to}: error rate ${round(
            watch.errorRatePct,
          )} %, p95 ${round(watch.p95Ms)} ms`,
        );
      }
      await request.onStep?.('watch-ok');

      const warmUntil = from
        ? new Date(this.now().getTime() + options.warmSeconds * 1000)
        : undefined;
      await switches.commit(record.id, {
        modelId: model.modelId,
        from,
        to,
        toVersion: request.toVersion,
        warmUntil,
        checks,
      });
      this.deps.logger.info(
        `Switched ${model.modelId} from ${from ?? 'nothing'} to ${to} (${
          request.toVersion
        }) in ${Math.round(performance.now() - started)} ms`,
      );
      committed = (await switches.get(record.id))!;
    } catch (error) {
      const message = (error as Error).message;
      let status: 'failed' | 'rolled_back' = 'failed';
      if (from && from !== to) {
        try {
          await runtime.setTraffic({
            model,
            weights: { [from]: 100, [to]: 0 },
          });
          await check(
            'revert',
            true,
            `traffic returned to ${from} (${request.fromVersion ?? 'unknown'})`,
          );
          status = 'rolled_back';
        } catch (revertError) {
          await check(
            'revert',
            false,
            `returning traffic to ${from} failed: ${revertError}`,
          );
        }
      }
      await switches.fail(record.id, { status, error: message, checks });
      throw new SwitchFailure(message, await switches.get(record.id));
    }
    // Outside the try: nothing that goes wrong after the commit may move traffic back.
    await request.onStep?.('committed');
    return committed;
  }
}
