import { LoggerService } from '@backstage/backend-plugin-api';
import { ConflictError } from '@backstage/errors';
import {
  RuleSet,
  StageCheck,
  SwitchRecord,
} from '@model-ops/plugin-model-ops-common';
import {
  ModelRuntime,
  RuntimeModelRef,
} from '@model-ops/plugin-model-ops-node';
import { randomUUID } from 'node:crypto';
import { probe, round } from '../lib/probe';
import { healthLimitsOf } from './healthLimits';
import { SwitchLease, SwitchLeaseLost } from './SwitchLease';
import { SwitchRecovery } from './SwitchRecovery';
import { NewSwitch, SwitchStore } from './SwitchStore';
import {
  DEFAULT_SWITCH_LEASE_SECONDS,
  processSwitchOwner,
} from './switchOwner';
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
  /**
   * How long a switch is held without renewing (renewed at a third of it while the switch
   * verifies and watches); after it, another process takes the switch over. Default 30.
   */
  leaseSeconds?: number;
}

/**
 * The {@link TrafficSwitching} on a model's runtime and the switch store: set the weights,
 * verify that probes reach the new version (`x-model-version`), watch health for a window, then
 * commit the new active color in one transaction. On any failed step traffic returns to the old
 * color. Every step is recorded in the switch history.
 *
 * The switch is written as intent (from, to, weights, owner, lease) before traffic moves, and
 * its lease is renewed while it verifies and watches. Once the lease is lost the switcher
 * touches neither traffic nor the record again: whoever took the switch over ends it.
 *
 * @internal
 */
export class TrafficSwitcher implements TrafficSwitching {
  private readonly owner: string;
  private readonly leaseSeconds: number;
  private readonly recovery: SwitchRecovery;

  constructor(
    private readonly deps: {
      switches: SwitchStore;
      logger: LoggerService;
      options: SwitchOptions;
      /** The rule sets that health limits come from; the seed's warning levels without them. */
      ruleSets?: ReadonlyMap<string, RuleSet>;
      now?: () => Date;
      /** Who holds this switcher's switches; this process by default. */
      owner?: string;
    },
  ) {
    this.owner = deps.owner ?? processSwitchOwner();
    this.leaseSeconds =
      deps.options.leaseSeconds ?? DEFAULT_SWITCH_LEASE_SECONDS;
    this.recovery = new SwitchRecovery({
      switches: deps.switches,
      logger: deps.logger,
      owner: this.owner,
      leaseSeconds: this.leaseSeconds,
      now: deps.now,
    });
  }

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
      weights: { [request.to]: 100, [request.from]: 0 },
      owner: this.owner,
      leaseSeconds: this.leaseSeconds,
    });
    await this.deps.switches.close(
      record.id,
      [
        {
          name: 'traffic',
          ok: true,
          detail: `100 % to ${request.to}, 0 % to ${request.from}`,
          at: this.now().toISOString(),
        },
      ],
      this.owner,
    );
    return (await this.deps.switches.get(record.id))!;
  }

  async settle(request: {
    runtime: ModelRuntime;
    model: RuntimeModelRef;
  }): Promise<void> {
    const { modelId } = request.model;
    const deadline = performance.now() + this.leaseSeconds * 2000 + 1000;
    for (;;) {
      const open = await this.deps.switches.inProgress(modelId);
      if (!open) return;
      await this.recovery.recoverExpired({
        modelId,
        runtimeOf: async () => request.runtime,
      });
      if (!(await this.deps.switches.inProgress(modelId))) return;
      if (performance.now() > deadline) {
        throw new ConflictError(
          `Switch ${
            open.record.id
          } of ${modelId} is still in progress, held by ${
            open.owner ?? 'an unnamed owner'
          }`,
        );
      }
      await new Promise(resolve =>
        setTimeout(resolve, Math.min(500, this.leaseSeconds * 250)),
      );
    }
  }

  async ofRun(modelId: string, runId: string): Promise<SwitchRecord[]> {
    return (await this.deps.switches.list(modelId, 50)).filter(
      record => record.runId === runId,
    );
  }

  async switch(request: SwitchRequest): Promise<SwitchRecord> {
    const { from, to } = request;
    const weights = {
      [to]: 100,
      ...(from && from !== to ? { [from]: 0 } : {}),
    };
    const record = await this.begin(request, {
      id: randomUUID(),
      modelId: request.model.modelId,
      kind: request.kind,
      from,
      to,
      fromVersion: request.fromVersion,
      toVersion: request.toVersion,
      requestedBy: request.requestedBy,
      reason: request.reason,
      runId: request.runId,
      weights,
      owner: this.owner,
      leaseSeconds: this.leaseSeconds,
    });
    const lease = new SwitchLease({
      switches: this.deps.switches,
      logger: this.deps.logger,
      switchId: record.id,
      owner: this.owner,
      seconds: this.leaseSeconds,
    });
    try {
      return await this.perform(request, record, weights, lease);
    } finally {
      await lease.stop();
    }
  }

  /**
   * Opens the switch. When another switch of the model is in the way and its owner's lease has
   * run out, that one is taken over and reverted first (a crashed backend's switch does not
   * block the next one until the reconciler comes by).
   */
  private async begin(
    request: SwitchRequest,
    intent: NewSwitch,
  ): Promise<SwitchRecord> {
    try {
      return await this.deps.switches.begin(intent);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      const recovered = await this.recovery.recoverExpired({
        modelId: intent.modelId,
        runtimeOf: async () => request.runtime,
      });
      if (recovered.length === 0) throw error;
      return this.deps.switches.begin(intent);
    }
  }

  /**
   * Whether the switch is no longer this switcher's. A commit refused by the fence may come
   * before the renewal loop has noticed, so the store is asked; when it cannot answer, the
   * switch counts as held (returning traffic to the old color matches what the database says).
   */
  private async lost(
    error: unknown,
    lease: SwitchLease,
    id: string,
  ): Promise<boolean> {
    if (error instanceof SwitchLeaseLost || lease.lost) return true;
    const held = await this.deps.switches
      .renew(id, this.owner, this.leaseSeconds)
      .catch(() => true);
    return !held;
  }

  /**
   * The switch as its taker ended it, waited for (a lease period at most): until then traffic
   * may still go to the new color, which the caller must not stop.
   */
  private async endedByTaker(id: string): Promise<SwitchRecord | undefined> {
    const deadline = performance.now() + this.leaseSeconds * 2000;
    let record = await this.deps.switches.get(id);
    while (record?.status === 'in_progress' && performance.now() < deadline) {
      await new Promise(resolve => setTimeout(resolve, 100));
      record = await this.deps.switches.get(id);
    }
    return record;
  }

  private async perform(
    request: SwitchRequest,
    record: SwitchRecord,
    weights: Record<string, number>,
    lease: SwitchLease,
  ): Promise<SwitchRecord> {
    const { runtime, model, from, to, limits } = request;
    const { options, switches } = this.deps;
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
    const signal = request.signal
      ? AbortSignal.any([lease.signal, request.signal])
      : lease.signal;
    // Before every side effect: the switch's lease is held and the run has not stopped.
    const assertGoing = () => {
      lease.assertHeld();
      if (request.signal?.aborted) {
        throw request.signal.reason instanceof Error
          ? request.signal.reason
          : new Error('The run making the switch stopped');
      }
    };
    try {
      assertGoing();
      await runtime.setTraffic({ model, weights });
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
        signal,
      });
      assertGoing();
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
        signal,
      });
      assertGoing();
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
      // The last moment a cancel or a lost lease can stop the switch: the commit follows.
      assertGoing();

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
        owner: this.owner,
      });
    } catch (error) {
      const message = (error as Error).message;
      if (handsOver(error, request.signal)) {
        // The run's lease was lost (or the backend stops): no traffic moves from here. The
        // switch's lease is let go at once, so that whoever resumes the run takes it over.
        await switches.renew(record.id, this.owner, 0).catch(() => false);
        throw new SwitchFailure(
          `${message}; switch ${record.id} is left to whoever resumes the run`,
          await switches.get(record.id),
        );
      }
      if (await this.lost(error, lease, record.id)) {
        // Someone else holds the switch now and ends it; moving traffic here would fight them.
        throw new SwitchFailure(
          error instanceof SwitchLeaseLost
            ? message
            : `${message} (and the lease of the switch was lost)`,
          await this.endedByTaker(record.id),
        );
      }
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
      await switches
        .fail(record.id, { status, error: message, checks, owner: this.owner })
        .catch(failError => {
          // Taken over meanwhile: the taker records the end.
          if (!(failError instanceof ConflictError)) throw failError;
        });
      throw new SwitchFailure(message, await switches.get(record.id));
    }
    // Outside the try: nothing that goes wrong after the commit may move traffic back.
    this.deps.logger.info(
      `Switched ${model.modelId} from ${from ?? 'nothing'} to ${to} (${
        request.toVersion
      }) in ${Math.round(performance.now() - started)} ms`,
    );
    await request.onStep?.('committed');
    return (await switches.get(record.id))!;
  }
}

/**
 * Whether the switcher must stop without moving traffic: the run that makes the switch stopped
 * for another reason than a cancel, or its lease was refused on a runtime call.
 */
function handsOver(error: unknown, signal: AbortSignal | undefined): boolean {
  if (error instanceof Error && error.name === 'LeaseLost') return true;
  if (!signal?.aborted) return false;
  return !(
    signal.reason instanceof Error && signal.reason.name === 'RunCancelled'
  );
}
