import {
  CanaryAnalysis,
  CanaryState,
} from '@model-ops/plugin-model-ops-common';
import {
  ProbeFigures,
  ProbeSample,
  probe,
  round,
  summarize,
} from '../../lib/probe';
import { CanaryOptions } from '../options';
import { ProductionHealthLimits, isSwitchFailure } from '../ProductionSwitch';
import { isCancelled } from '../runErrors';
import { throwIfAborted } from '../StageRecorder';
import { deployToSlot, emptySlot, otherColor, recordVersion } from './shared';
import {
  ProductionContext,
  ProductionOutcome,
  ProductionStrategy,
} from './types';

type Side = CanaryAnalysis['canary'];

const figures = (f: ProbeFigures): Side => ({
  requests: f.requests,
  errorRatePct: round(f.errorRatePct),
  p95Ms: round(f.p95Ms),
});

/** Canary answers a step needs before it is judged. */
export const MIN_CANARY_SAMPLES = 5;
/**
 * Answers each side needs before the canary's p95 is compared with the stable color's. Below
 * that, a p95 is the slowest of a handful of requests, and one garbage-collection pause on a
 * freshly started process would roll a healthy canary back; the rule's absolute p95 limit still
 * applies to any number of answers.
 */
export const MIN_LATENCY_COMPARISON_SAMPLES = 20;
/** How many more windows a step may take to collect them. */
const MAX_EXTRA_WINDOWS = 3;

/**
 * Canary: the new version goes to the idle color, then takes a growing share of traffic step by
 * step. At each step production-like requests go through the production endpoint and are told
 * apart by `x-model-version`; the canary's error rate and p95 are checked against the rules and
 * against the stable color. A breach, or a manual abort, returns all traffic to the stable color
 * (the run ends rolled_back); the last step, or a manual promote, switches to the canary for good.
 * A cancel before the promotion commits does what an abort does, and the run ends cancelled.
 *
 * @internal
 */
export class CanaryStrategy implements ProductionStrategy {
  readonly name = 'canary' as const;

  canDeploy(ctx: ProductionContext): boolean {
    return Boolean(ctx.switching && ctx.active && ctx.previousVersion);
  }

  async deploy(ctx: ProductionContext): Promise<ProductionOutcome> {
    const { run, recorder, canary: options } = ctx;
    const active = ctx.active!;
    const previousVersion = ctx.previousVersion!;
    const idle = otherColor(active);
    const state: CanaryState = {
      runId: run.id,
      version: run.version,
      slot: idle,
      steps: options.steps,
      step: 0,
      weight: 0,
      status: 'progressing',
      analyses: [],
    };
    await recorder.metric({ strategy: 'canary', slot: idle });
    await ctx.saveCanary(state);
    try {
      return await this.release(ctx, state);
    } catch (error) {
      if (!isCancelled(ctx.signal)) throw error;
      await ctx.runtime.setTraffic({
        model: ctx.model,
        weights: { [active]: 100, [idle]: 0 },
      });
      const split = state.weight > 0 && state.weight < 100;
      state.status = 'aborted';
      state.weight = 0;
      await ctx.saveCanary(state);
      if (split) {
        // The promotion switch records itself; a split of the steps is recorded here.
        await ctx.switching!.recordAbort({
          modelId: run.modelId,
          from: idle,
          to: active,
          fromVersion: run.version,
          toVersion: previousVersion,
          runId: run.id,
          reason: 'cancelled on request',
        });
      }
      await emptySlot(ctx, idle);
      await recorder.check(
        'cancel',
        true,
        `traffic back to ${active} (${previousVersion}); canary ${idle} emptied`,
      );
      throw ctx.signal.reason;
    }
  }

  private async release(
    ctx: ProductionContext,
    state: CanaryState,
  ): Promise<ProductionOutcome> {
    const { run, recorder, canary: options } = ctx;
    const active = ctx.active!;
    const previousVersion = ctx.previousVersion!;
    const idle = state.slot as 'blue' | 'green';

    const canaryEndpoint = await deployToSlot(ctx, idle);
    await ctx.markSlot(idle, run.version, 'running', 0);
    await recorder.check(
      `deploy ${idle}`,
      true,
      `canary ${run.version} at ${canaryEndpoint}`,
    );
    await ctx.reached('deployed-idle');
    throwIfAborted(ctx.signal);
    const description = await ctx.runtime.describe({ model: ctx.model });
    const endpoint = description.productionEndpoint!;
    const inputs = ctx.verificationInputs.length
      ? ctx.verificationInputs
      : ['canary probe'];

    const abort = async (reason: string): Promise<ProductionOutcome> => {
      throwIfAborted(ctx.signal);
      await ctx.runtime.setTraffic({
        model: ctx.model,
        weights: { [active]: 100, [idle]: 0 },
      });
      state.status = 'aborted';
      state.weight = 0;
      await ctx.saveCanary(state);
      await recorder.check(
        'canary-abort',
        true,
        `traffic back to ${active} (${previousVersion}): ${reason}`,
      );
      recorder.errors.push(`Canary aborted: ${reason}`);
      await ctx.switching!.recordAbort({
        modelId: run.modelId,
        from: idle,
        to: active,
        fromVersion: run.version,
        toVersion: previousVersion,
        runId: run.id,
        reason,
      });
      await emptySlot(ctx, idle);
      await recordVersion(ctx, 'failed');
      return { status: 'rolled_back', previousVersion };
    };

    for (let index = 0; index < options.steps.length; index++) {
      const weight = options.steps[index];
      if (weight >= 100) break;
      state.step = index;
      state.weight = weight;
      await ctx.runtime.setTraffic({
        model: ctx.model,
        weights: { [idle]: weight, [active]: 100 - weight },
      });
      await ctx.markSlot(idle, run.version, 'running', weight);
      await ctx.saveCanary(state);
      await ctx.reached('traffic-set');

      // A command given by hand ends the step early; it is looked for every ten requests.
      let command: 'promote' | 'abort' | undefined;
      const commanded = new AbortController();
      // A step is judged on evidence, not on time alone: at a small weight on a slow machine a
      // step's window may route too few requests to the canary, so it is extended (a bounded
      // number of times) until enough have reached it.
      const samples: ProbeSample[] = [];
      let seen = 0;
      const onSample = async () => {
        seen++;
        if (seen % 10 === 0) {
          command = await ctx.takeCanaryCommand();
          if (command) commanded.abort();
        }
      };
      const enoughReached = () =>
        samples.filter(s => s.version === run.version).length >=
        MIN_CANARY_SAMPLES;
      for (
        let window = 0;
        window <= MAX_EXTRA_WINDOWS && !commanded.signal.aborted;
        window++
      ) {
        const step = await probe({
          endpoint,
          inputs,
          durationMs: options.stepSeconds * 1000,
          intervalMs: options.analysisIntervalMs,
          signal: AbortSignal.any([ctx.signal, commanded.signal]),
          onSample,
        });
        samples.push(...step.samples);
        throwIfAborted(ctx.signal);
        if (enoughReached()) break;
      }
      command = command ?? (await ctx.takeCanaryCommand());
      const analysis = this.analyse(ctx, index, weight, samples);
      state.analyses.push(analysis);
      await ctx.saveCanary(state);
      const { canary, stable, reasons } = analysis;
      await recorder.check(
        `canary ${weight} %`,
        analysis.ok,
        `canary ${canary.requests} requests, ${
          canary.errorRatePct
        } % errors, p95 ${canary.p95Ms} ms; stable ${
          stable.requests
        } requests, ${stable.errorRatePct} % errors, p95 ${stable.p95Ms} ms${
          reasons.length ? `: ${reasons.join('; ')}` : ''
        }`,
      );
      if (command === 'abort') return abort('aborted by hand');
      if (!analysis.ok && command !== 'promote')
        return abort(reasons.join('; '));
      if (command === 'promote') {
        await recorder.check(
          'canary-promote',
          true,
          `promoted by hand at ${weight} %`,
        );
        break;
      }
    }

    // Promotion: the canary color takes all traffic, verified and watched like any switch.
    throwIfAborted(ctx.signal);
    state.step = options.steps.length - 1;
    state.weight = 100;
    await ctx.saveCanary(state);
    try {
      const record = await ctx.switching!.switch({
        runtime: ctx.runtime,
        model: ctx.model,
        kind: 'canary-promotion',
        from: active,
        to: idle,
        fromVersion: previousVersion,
        toVersion: run.version,
        limits: ctx.switching!.healthLimits(run.rules),
        requestedBy: run.createdBy,
        reason: `canary of ${run.version} (run ${run.id})`,
        runId: run.id,
        onCheck: c =>
          recorder.check(`promotion: ${c.name}`, c.ok, c.detail, c.durationMs),
        onStep: reached => ctx.reached(reached),
        signal: ctx.signal,
      });
      await recorder.metric({ switchMs: record.durationMs ?? 0 });
    } catch (error) {
      throwIfAborted(ctx.signal);
      if (!isSwitchFailure(error)) throw error;
      state.status = 'aborted';
      await ctx.saveCanary(state);
      recorder.errors.push(error.message);
      await emptySlot(ctx, idle);
      return {
        status:
          error.record?.status === 'rolled_back' ? 'rolled_back' : 'failed',
      };
    }
    state.status = 'promoted';
    await ctx.saveCanary(state);
    await ctx.markSlot(idle, run.version, 'running', 100);
    await recordVersion(ctx, 'deployed');
    return { status: 'succeeded', previousVersion };
  }

  /** Judges one step: the canary's answers against the rules and against the stable color's. */
  private analyse(
    ctx: ProductionContext,
    index: number,
    weight: number,
    samples: ProbeSample[],
  ): CanaryAnalysis {
    const { canary: options } = ctx;
    const limits = ctx.switching!.healthLimits(ctx.run.rules);
    const canary = figures(
      summarize(samples.filter(s => s.version === ctx.run.version)),
    );
    const stable = figures(
      summarize(samples.filter(s => s.version !== ctx.run.version)),
    );
    const reasons = judgeCanaryStep(canary, stable, limits, options);
    return {
      step: index,
      weight,
      at: ctx.now().toISOString(),
      ok: reasons.length === 0,
      canary,
      stable,
      reasons,
    };
  }
}

/**
 * The reasons a canary step fails, none when it passes: too few canary answers, the rule set's
 * error-rate and p95 limits, and the comparison with the stable color.
 *
 * @internal
 */
export function judgeCanaryStep(
  canary: Side,
  stable: Side,
  limits: ProductionHealthLimits,
  options: Pick<CanaryOptions, 'maxLatencyRatio' | 'maxErrorRateIncreasePct'>,
): string[] {
  const reasons: string[] = [];
  if (canary.requests < MIN_CANARY_SAMPLES) {
    reasons.push(
      `only ${canary.requests} requests reached the canary (at least ${MIN_CANARY_SAMPLES} are needed to judge it)`,
    );
  }
  if (canary.errorRatePct > limits.maxErrorRatePct) {
    reasons.push(
      `canary error rate ${canary.errorRatePct} % is over the rule's ${limits.maxErrorRatePct} %`,
    );
  }
  if (
    canary.errorRatePct >
    stable.errorRatePct + options.maxErrorRateIncreasePct
  ) {
    reasons.push(
      `canary error rate ${canary.errorRatePct} % against stable ${stable.errorRatePct} %`,
    );
  }
  if (canary.p95Ms > limits.maxP95Ms) {
    reasons.push(
      `canary p95 ${canary.p95Ms} ms is over the rule's ${limits.maxP95Ms} ms`,
    );
  }
  if (
    canary.requests >= MIN_LATENCY_COMPARISON_SAMPLES &&
    stable.requests >= MIN_LATENCY_COMPARISON_SAMPLES &&
    canary.p95Ms > stable.p95Ms * options.maxLatencyRatio + 20
  ) {
    reasons.push(
      `canary p95 ${canary.p95Ms} ms against stable ${stable.p95Ms} ms`,
    );
  }
  return reasons;
}
