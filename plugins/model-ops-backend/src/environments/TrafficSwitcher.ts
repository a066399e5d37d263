import { LoggerService } from '@backstage/backend-plugin-api';
import {
  SlotName,
  StageCheck,
  SwitchKind,
  SwitchRecord,
} from '@model-ops/plugin-model-ops-common';
import { ModelRuntime, RuntimeModelRef } from '@model-ops/plugin-model-ops-node';
import { randomUUID } from 'node:crypto';
import { percentile, predict, round } from '../deployments/modelClient';
import { SwitchStore } from './SwitchStore';

/** How a switch is verified and watched. */
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

/** Limits the watched traffic must stay within, from the model's rules (warning levels). */
export interface HealthLimits {
  maxErrorRatePct: number;
  maxP95Ms: number;
}

/** A switch that did not hold; traffic was returned to the old color. */
export class SwitchFailure extends Error {
  constructor(message: string, readonly record?: SwitchRecord) {
    super(message);
    this.name = 'SwitchFailure';
  }
}

/**
 * Moves production traffic from one color to the other: set the weights, verify that probes
 * reach the new version (`x-model-version`), watch health for a window, then commit the new
 * active color in one transaction. On any failed step traffic returns to the old color. Every
 * step is recorded in the switch history.
 *
 * @internal
 */
export class TrafficSwitcher {
  constructor(
    private readonly deps: {
      switches: SwitchStore;
      logger: LoggerService;
      options: SwitchOptions;
      now?: () => Date;
    },
  ) {}

  private now() {
    return this.deps.now ? this.deps.now() : new Date();
  }

  /**
   * Records a canary abort: the canary's weight went back to 0 and the stable color, still
   * active, has all traffic again.
   */
  async recordAbort(request: {
    modelId: string;
    from: SlotName;
    to: SlotName;
    fromVersion?: string;
    toVersion?: string;
    runId?: string;
    reason: string;
  }): Promise<SwitchRecord> {
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

  async switch(request: {
    runtime: ModelRuntime;
    model: RuntimeModelRef;
    kind: SwitchKind;
    from?: SlotName;
    to: SlotName;
    fromVersion?: string;
    toVersion: string;
    limits: HealthLimits;
    requestedBy?: string;
    reason?: string;
    runId?: string;
    onCheck?: (check: StageCheck) => Promise<void>;
  }): Promise<SwitchRecord> {
    const { runtime, model, from, to, limits } = request;
    const { options } = this.deps;
    const record = await this.deps.switches.begin({
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
    const check = async (name: string, ok: boolean, detail: string, durationMs?: number) => {
      const entry: StageCheck = {
        name,
        ok,
        detail,
        at: this.now().toISOString(),
        durationMs: durationMs === undefined ? undefined : Math.round(durationMs),
      };
      checks.push(entry);
      await this.deps.switches.recordChecks(record.id, checks);
      await request.onCheck?.(entry);
    };

    const started = performance.now();
    try {
      await runtime.setTraffic({ model, weights: { [to]: 100, ...(from && from !== to ? { [from]: 0 } : {}) } });
      const description = await runtime.describe({ model });
      const endpoint = description.productionEndpoint;
      if (!endpoint) throw new Error(`runtime ${runtime.id} reports no production endpoint`);
      await check('traffic', true, `100 % to ${to}${from ? `, 0 % to ${from}` : ''}`, performance.now() - started);

      const inputs = options.inputs.length ? options.inputs : ['probe'];
      let wrong = 0;
      const versions = new Set<string>();
      for (let i = 0; i < options.probes; i++) {
        const result = await predict(endpoint, inputs[i % inputs.length]);
        versions.add(result.version ?? 'none');
        if (result.version !== request.toVersion) wrong++;
      }
      const probesOk = wrong === 0;
      await check(
        'probe-version',
        probesOk,
        `${options.probes - wrong} of ${options.probes} probes answered by ${request.toVersion}${
          probesOk ? '' : ` (seen: ${[...versions].join(', ')})`
        }`,
      );
      if (!probesOk) {
        throw new SwitchFailure(`${wrong} of ${options.probes} probes did not reach ${request.toVersion}`);
      }

      // Health watch: production-like traffic through the production endpoint for the window.
      const watchStarted = performance.now();
      const deadline = watchStarted + options.healthWatchSeconds * 1000;
      const latencies: number[] = [];
      let errors = 0;
      let i = 0;
      while (performance.now() < deadline) {
        const result = await predict(endpoint, inputs[i++ % inputs.length]);
        latencies.push(result.latencyMs);
        if (!result.ok) errors++;
        if (options.watchIntervalMs > 0) {
          await new Promise(resolve => setTimeout(resolve, options.watchIntervalMs));
        }
      }
      const total = latencies.length;
      const errorRate = total ? (errors / total) * 100 : 0;
      const p95 = total ? percentile(latencies, 95) : 0;
      const healthy = errorRate <= limits.maxErrorRatePct && p95 <= limits.maxP95Ms;
      await check(
        'health-watch',
        healthy,
        `${total} requests over ${round((performance.now() - watchStarted) / 1000, 1)} s: error rate ${round(
          errorRate,
        )} % (max ${limits.maxErrorRatePct} %), p95 ${round(p95)} ms (max ${limits.maxP95Ms} ms)`,
      );
      if (!healthy) {
        throw new SwitchFailure(
          `Health watch failed after switching to ${to}: error rate ${round(errorRate)} %, p95 ${round(p95)} ms`,
        );
      }

      const warmUntil = from
        ? new Date(this.now().getTime() + options.warmSeconds * 1000)
        : undefined;
      await this.deps.switches.commit(record.id, {
        modelId: model.modelId,
        from,
        to,
        toVersion: request.toVersion,
        warmUntil,
        checks,
      });
      this.deps.logger.info(
        `Switched ${model.modelId} from ${from ?? 'nothing'} to ${to} (${request.toVersion}) in ${Math.round(
          performance.now() - started,
        )} ms`,
      );
      return (await this.deps.switches.get(record.id))!;
    } catch (error) {
      const message = (error as Error).message;
      let status: 'failed' | 'rolled_back' = 'failed';
      if (from && from !== to) {
        try {
          await runtime.setTraffic({ model, weights: { [from]: 100, [to]: 0 } });
          await check('revert', true, `traffic returned to ${from} (${request.fromVersion ?? 'unknown'})`);
          status = 'rolled_back';
        } catch (revertError) {
          await check('revert', false, `returning traffic to ${from} failed: ${revertError}`);
        }
      }
      await this.deps.switches.fail(record.id, { status, error: message, checks });
      throw new SwitchFailure(message, await this.deps.switches.get(record.id));
    }
  }
}
