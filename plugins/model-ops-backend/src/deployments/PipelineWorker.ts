import { LoggerService } from '@backstage/backend-plugin-api';
import { JsonObject } from '@backstage/types';
import {
  PRODUCTION_SLOTS,
  SlotName,
  StageName,
} from '@model-ops/plugin-model-ops-common';
import { ModelRuntime } from '@model-ops/plugin-model-ops-node';
import { randomUUID } from 'node:crypto';
import { ModelStore } from '../database/ModelStore';
import {
  HealthLimits,
  SwitchFailure,
  TrafficSwitcher,
} from '../environments/TrafficSwitcher';
import { ArtifactFetcher, FetchedArtifact } from './ArtifactFetcher';
import { percentile, predict, round } from './modelClient';
import { CanaryAnalysis, CanaryState } from '@model-ops/plugin-model-ops-common';

/** How a canary release steps and what its analysis allows. */
export interface CanaryOptions {
  /** Traffic weights of the steps; the last must be 100. */
  steps: number[];
  /** How long each step's traffic is analysed before the next. */
  stepSeconds: number;
  /** Pause between the analysis requests of a step. */
  analysisIntervalMs: number;
  /** The canary's p95 may be at most this many times the stable color's (plus 20 ms). */
  maxLatencyRatio: number;
  /** The canary's error rate may exceed the stable color's by at most this many points. */
  maxErrorRateIncreasePct: number;
}

export const DEFAULT_CANARY_OPTIONS: CanaryOptions = {
  steps: [10, 50, 100],
  stepSeconds: 10,
  analysisIntervalMs: 20,
  maxLatencyRatio: 2,
  maxErrorRateIncreasePct: 1,
};
import { PipelineOptions } from './pipelineConfig';
import { RunStore, StoredRun } from './RunStore';
import {
  StageContext,
  StageFailure,
  StageRecorder,
  deployToProduction,
  runStaging,
  runTesting,
  runValidation,
  verifyProduction,
} from './stages';

class LeaseLost extends Error {
  constructor(runId: string) {
    super(`The lease on run ${runId} was taken over by another replica`);
    this.name = 'LeaseLost';
  }
}

class RunCancelled extends Error {
  constructor() {
    super('Cancelled on request');
    this.name = 'RunCancelled';
  }
}

/**
 * Executes deployment runs. Each backend replica runs one worker; a worker claims runs through a
 * lease row in the database, renews the lease while it works, and picks up runs whose lease
 * expired because their replica died. Stages are idempotent, so a resumed run repeats the stage
 * it was in.
 *
 * @internal
 */
export class PipelineWorker {
  readonly owner = `worker-${randomUUID()}`;
  private readonly active = new Map<string, AbortController>();
  private timer?: NodeJS.Timeout;
  private polling?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly deps: {
      runs: RunStore;
      models: ModelStore;
      fetcher: ArtifactFetcher;
      options: PipelineOptions;
      logger: LoggerService;
      getRuntime: (id: string) => ModelRuntime | undefined;
      /** Switches traffic between colors; without it every strategy replaces in place. */
      switcher?: TrafficSwitcher;
      /** The health limits of a rule set, for the watch after a switch. */
      healthLimits?: (rules: string) => HealthLimits;
      /** How canary releases step and analyse. */
      canary?: CanaryOptions;
      now?: () => Date;
    },
  ) {}

  private now(): Date {
    return this.deps.now ? this.deps.now() : new Date();
  }

  /** Starts polling for runs. */
  start() {
    this.stopped = false;
    const loop = () => {
      if (this.stopped) return;
      this.timer = setTimeout(async () => {
        await this.poll();
        loop();
      }, this.deps.options.pollIntervalSeconds * 1000);
      this.timer.unref?.();
    };
    loop();
  }

  /** Stops polling and aborts the runs in progress; their leases are released for others. */
  async stop() {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const controller of this.active.values()) {
      controller.abort(new Error('The backend is shutting down'));
    }
    await this.polling;
    const deadline = Date.now() + 10_000;
    while (this.active.size > 0 && Date.now() < deadline) {
      await new Promise(resolve => setTimeout(resolve, 50));
    }
  }

  /** Claims and starts whatever runs are waiting, up to the concurrency limit. */
  async poll(): Promise<void> {
    if (this.polling) return this.polling;
    this.polling = (async () => {
      try {
        while (!this.stopped && this.active.size < this.deps.options.maxConcurrentRuns) {
          const run = await this.deps.runs.claimNextRun(
            this.owner,
            this.deps.options.leaseSeconds * 1000,
          );
          if (!run) break;
          this.launch(run);
        }
      } catch (error) {
        this.deps.logger.error(`Claiming deployment runs failed: ${error}`);
      } finally {
        this.polling = undefined;
      }
    })();
    return this.polling;
  }

  /** Resolves when no run is in progress on this worker (for tests). */
  async idle(): Promise<void> {
    while (this.active.size > 0 || this.polling) {
      await new Promise(resolve => setTimeout(resolve, 20));
    }
  }

  private launch(run: StoredRun) {
    const controller = new AbortController();
    this.active.set(run.id, controller);
    this.execute(run, controller)
      .catch(error =>
        this.deps.logger.error(`Run ${run.id} of ${run.modelId} crashed: ${error}`),
      )
      .finally(() => {
        this.active.delete(run.id);
        if (!this.stopped) {
          // Another run may be waiting for this model or for a free worker.
          void this.poll();
        }
      });
  }

  /** Executes one claimed run from the stage it is in. Exposed for tests. */
  async execute(run: StoredRun, controller = new AbortController()): Promise<void> {
    const { runs, logger } = this.deps;
    const leaseMs = this.deps.options.leaseSeconds * 1000;
    const heartbeat = setInterval(async () => {
      try {
        const held = await runs.renewLease(run.id, this.owner, leaseMs);
        if (!held) controller.abort(new LeaseLost(run.id));
        else if (await runs.isCancelRequested(run.id)) controller.abort(new RunCancelled());
      } catch (error) {
        logger.warn(`Renewing the lease of run ${run.id} failed: ${error}`);
      }
    }, Math.max(200, leaseMs / 3));
    heartbeat.unref?.();

    const update = async (changes: Parameters<RunStore['updateRun']>[2]) => {
      if (!(await runs.updateRun(run.id, this.owner, changes))) {
        throw new LeaseLost(run.id);
      }
    };

    try {
      if (run.status === 'pending') {
        await update({ status: 'running', startedAt: this.now() });
      } else {
        logger.info(`Resuming run ${run.id} of ${run.modelId} at stage ${run.stage}`);
      }
      await this.executeStages(run, controller.signal, update);
    } catch (error) {
      if (error instanceof LeaseLost) {
        logger.warn(error.message);
        return;
      }
      const reason = controller.signal.reason;
      if (reason instanceof LeaseLost) {
        logger.warn(reason.message);
        return;
      }
      if (controller.signal.aborted && !(reason instanceof RunCancelled)) {
        // Shutting down: leave the run to be resumed by this or another replica.
        await runs.releaseLease(run.id, this.owner);
        return;
      }
      logger.error(`Run ${run.id} of ${run.modelId} failed unexpectedly: ${error}`);
      await update({
        status: 'failed',
        finishedAt: this.now(),
        error: String((error as Error)?.message ?? error),
      }).catch(() => undefined);
    } finally {
      clearInterval(heartbeat);
      await runs.releaseLease(run.id, this.owner).catch(() => undefined);
    }
  }

  private async executeStages(
    run: StoredRun,
    signal: AbortSignal,
    update: (changes: Parameters<RunStore['updateRun']>[2]) => Promise<void>,
  ) {
    const { runs, options } = this.deps;
    const runtimeId = run.runtime;
    const runtime = this.deps.getRuntime(runtimeId);
    const model = { modelId: run.modelId, entityRef: run.entityRef };
    const budgets = options.perModel.get(run.modelId) ?? options.defaults;
    let fetched: FetchedArtifact | undefined;

    const finish = async (
      status: 'succeeded' | 'failed' | 'rolled_back' | 'cancelled',
      error?: string,
    ) => {
      await update({ status, stage: null, finishedAt: this.now(), error: error ?? null });
      this.deps.logger.info(
        `Run ${run.id} (${run.kind} ${run.modelId} ${run.version}) ended ${status}${
          error ? `: ${error}` : ''
        }`,
      );
    };

    const cleanup = async () => {
      if (!runtime) return;
      for (const slot of ['testing', 'staging'] as SlotName[]) {
        await runtime.undeploy({ model, slot }).catch(() => undefined);
        await this.markSlot(run, slot, undefined, 'empty').catch(() => undefined);
      }
    };

    for (const stage of run.stages) {
      if (stage.status === 'succeeded' || stage.status === 'skipped') {
        if (stage.name === 'validation' && runtime) {
          // A resumed run needs the artifact again; it is cached, so this is cheap.
          fetched = await this.deps.fetcher.fetch({
            uri: run.artifact.uri,
            sha256: run.artifact.sha256 ?? '',
            modelId: run.modelId,
            version: run.version,
          });
        }
        continue;
      }
      if (signal.aborted && !(signal.reason instanceof RunCancelled)) {
        throw signal.reason;
      }
      if (signal.aborted || (await runs.isCancelRequested(run.id))) {
        await runs.updateStage(run.id, stage.name, {
          status: 'cancelled',
          finishedAt: this.now(),
        });
        await this.markRemaining(run, stage.name, 'cancelled');
        await cleanup();
        await finish('cancelled', 'Cancelled on request');
        return;
      }

      const recorder: StageRecorder = new StageRecorder(
        () => this.now(),
        (): Promise<void> =>
          runs.updateStage(run.id, stage.name, {
            checks: recorder.checks,
            errors: recorder.errors,
            metrics: recorder.metrics,
          }),
      );
      await update({ stage: stage.name });
      await runs.updateStage(run.id, stage.name, {
        status: 'running',
        startedAt: this.now(),
        finishedAt: null,
        checks: [],
        errors: [],
        metrics: {},
      });

      const ctx: StageContext = {
        model,
        version: run.version,
        artifact: run.artifact,
        config: (run.config.runtime ?? {}) as JsonObject,
        runtime: runtime!,
        fetcher: this.deps.fetcher,
        budgets,
        verificationInputs: options.verificationInputs,
        recorder,
        signal,
      };

      try {
        if (!runtime) {
          await recorder.check(
            'runtime',
            false,
            `runtime "${runtimeId}" is not installed in this backend`,
          );
          throw new StageFailure(`Runtime "${runtimeId}" is not installed in this backend`);
        }
        switch (stage.name) {
          case 'validation':
            fetched = await runValidation(ctx);
            break;
          case 'testing':
            await this.markSlot(run, 'testing', run.version, 'starting');
            await runTesting(ctx, fetched!);
            await this.markSlot(run, 'testing', undefined, 'empty');
            break;
          case 'staging':
            await this.markSlot(run, 'staging', run.version, 'starting');
            await runStaging(ctx, fetched!);
            await this.markSlot(run, 'staging', run.version, 'running');
            break;
          case 'production': {
            const outcome = await this.runProduction(run, ctx, fetched!);
            await runs.updateStage(run.id, stage.name, {
              status: outcome === 'succeeded' ? 'succeeded' : 'failed',
              finishedAt: this.now(),
              checks: recorder.checks,
              errors: recorder.errors,
              metrics: recorder.metrics,
            });
            await cleanup();
            await finish(
              outcome,
              outcome === 'succeeded' ? undefined : recorder.errors[recorder.errors.length - 1],
            );
            return;
          }
          default:
            throw new Error(`Unknown stage ${stage.name}`);
        }
        await runs.updateStage(run.id, stage.name, {
          status: 'succeeded',
          finishedAt: this.now(),
          checks: recorder.checks,
          errors: recorder.errors,
          metrics: recorder.metrics,
        });
      } catch (error) {
        if (error instanceof LeaseLost) throw error;
        const cancelled = signal.aborted && signal.reason instanceof RunCancelled;
        if (signal.aborted && !cancelled) throw signal.reason;
        let message = `${stage.name} failed: ${(error as Error)?.message ?? error}`;
        if (cancelled) message = 'Cancelled on request';
        else if (error instanceof StageFailure) message = error.message;
        if (!cancelled) {
          recorder.errors.push(message);
        }
        await runs.updateStage(run.id, stage.name, {
          status: cancelled ? 'cancelled' : 'failed',
          finishedAt: this.now(),
          checks: recorder.checks,
          errors: recorder.errors,
          metrics: recorder.metrics,
        });
        await this.markRemaining(run, stage.name, cancelled ? 'cancelled' : 'skipped');
        await cleanup();
        await finish(cancelled ? 'cancelled' : 'failed', message);
        return;
      }
    }
    await finish('succeeded');
  }

  /**
   * The production stage, `recreate` for every strategy until environments arrive: replace the
   * production slot, verify through the stable endpoint, and on failure restore the previous
   * version. Returns how the run ends.
   */
  private async runProduction(
    run: StoredRun,
    ctx: StageContext,
    fetched: FetchedArtifact,
  ): Promise<'succeeded' | 'rolled_back' | 'failed'> {
    const { models, runs } = this.deps;
    const stored = await models.getModel(run.modelId);
    const slot: SlotName =
      stored?.activeSlot && PRODUCTION_SLOTS.includes(stored.activeSlot)
        ? stored.activeSlot
        : 'blue';
    const previousVersion = stored?.productionVersion;
    if (
      run.strategy !== 'recreate' &&
      this.deps.switcher &&
      previousVersion &&
      stored?.activeSlot &&
      PRODUCTION_SLOTS.includes(stored.activeSlot)
    ) {
      return run.strategy === 'canary'
        ? this.runCanary(run, ctx, fetched, stored.activeSlot, previousVersion)
        : this.runBlueGreen(run, ctx, fetched, stored.activeSlot, previousVersion);
    }
    await ctx.recorder.metric({ strategy: 'recreate', slot });
    if (run.strategy !== 'recreate' && previousVersion) {
      await ctx.recorder.check(
        'strategy',
        true,
        `${run.strategy} needs blue/green environments, which this backend does not run yet; replacing in place (recreate)`,
      );
    }
    await models.upsertModel({ modelId: run.modelId, entityRef: run.entityRef });
    await this.markSlot(run, slot, run.version, 'starting', 100);
    try {
      const endpoint = await deployToProduction(ctx, slot, run.version, {
        ...run.artifact,
        localPath: fetched.localPath,
      });
      await verifyProduction(ctx, endpoint, run.version, ctx.verificationInputs);
      const health = await ctx.runtime.health({ model: ctx.model, slot });
      await ctx.recorder.check('health', health.status === 'healthy', health.status);
      if (health.status !== 'healthy') {
        throw new StageFailure(`${slot} is ${health.status} after the switch`);
      }
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      const reason = (error as Error).message;
      ctx.recorder.errors.push(reason);
      if (!previousVersion) {
        await ctx.runtime.undeploy({ model: ctx.model, slot }).catch(() => undefined);
        await this.markSlot(run, slot, undefined, 'empty', 0);
        await ctx.recorder.error('No previous version to restore; production slot emptied');
        return 'failed';
      }
      return (await this.restorePrevious(run, ctx, slot, previousVersion))
        ? 'rolled_back'
        : 'failed';
    }
    await this.markSlot(run, slot, run.version, 'running', 100);
    await models.upsertModel({
      modelId: run.modelId,
      entityRef: run.entityRef,
      productionVersion: run.version,
      activeSlot: slot,
    });
    await models.upsertVersion(run.modelId, {
      version: run.version,
      artifactUri: run.artifact.uri,
      sha256: run.artifact.sha256,
      status: 'deployed',
      lastDeployedAt: this.now().toISOString(),
    });
    if (previousVersion && previousVersion !== run.version) {
      const versions = await models.getVersions(run.modelId);
      const previous = versions.find(v => v.version === previousVersion);
      if (previous) {
        await models.upsertVersion(run.modelId, { ...previous, status: 'retired' });
      }
    }
    await runs.updateRun(run.id, this.owner, { previousVersion: previousVersion ?? null });
    return 'succeeded';
  }

  /**
   * Blue-green: deploy to the idle color and check it, then switch traffic (verify, watch
   * health, commit); the old color stays warm for instant rollback. A failed switch has already
   * returned traffic to the old color.
   */
  private async runBlueGreen(
    run: StoredRun,
    ctx: StageContext,
    fetched: FetchedArtifact,
    active: SlotName,
    previousVersion: string,
  ): Promise<'succeeded' | 'rolled_back' | 'failed'> {
    const { models } = this.deps;
    const idle: SlotName = active === 'blue' ? 'green' : 'blue';
    await ctx.recorder.metric({ strategy: 'blue-green', slot: idle });
    await this.markSlot(run, idle, run.version, 'starting', 0);
    const started = performance.now();
    const { endpoint } = await ctx.runtime.deploy({
      model: ctx.model,
      slot: idle,
      artifact: { ...run.artifact, version: run.version, localPath: fetched.localPath },
      config: ctx.config,
    });
    const smoke = await predict(endpoint, ctx.verificationInputs[0] ?? 'smoke test');
    const idleOk = smoke.ok && smoke.version === run.version;
    await ctx.recorder.check(
      `deploy ${idle}`,
      idleOk,
      idleOk
        ? `${idle} serves ${run.version} at ${endpoint} (${active} keeps production meanwhile)`
        : `${idle} answered ${smoke.version ?? 'nothing'}: ${smoke.error ?? 'wrong version'}`,
      performance.now() - started,
    );
    if (!idleOk) {
      await ctx.runtime.undeploy({ model: ctx.model, slot: idle }).catch(() => undefined);
      await this.markSlot(run, idle, undefined, 'empty', 0);
      ctx.recorder.errors.push(`The idle color ${idle} did not serve ${run.version}`);
      return 'failed';
    }
    await this.markSlot(run, idle, run.version, 'running', 0);
    const limits = this.deps.healthLimits?.(run.rules) ?? {
      maxErrorRatePct: 5,
      maxP95Ms: 5000,
    };
    try {
      const record = await this.deps.switcher!.switch({
        runtime: ctx.runtime,
        model: ctx.model,
        kind: 'deployment',
        from: active,
        to: idle,
        fromVersion: previousVersion,
        toVersion: run.version,
        limits,
        requestedBy: run.createdBy,
        reason: `${run.kind} of ${run.version} (run ${run.id})`,
        runId: run.id,
        onCheck: c => ctx.recorder.check(`switch: ${c.name}`, c.ok, c.detail, c.durationMs),
      });
      await ctx.recorder.metric({ switchMs: record.durationMs ?? 0 });
    } catch (error) {
      if (!(error instanceof SwitchFailure)) throw error;
      ctx.recorder.errors.push(error.message);
      await ctx.runtime.undeploy({ model: ctx.model, slot: idle }).catch(() => undefined);
      await this.markSlot(run, idle, undefined, 'empty', 0);
      await models.upsertVersion(run.modelId, {
        version: run.version,
        artifactUri: run.artifact.uri,
        sha256: run.artifact.sha256,
        status: 'failed',
      });
      await this.deps.runs.updateRun(run.id, this.owner, { previousVersion });
      return error.record?.status === 'rolled_back' ? 'rolled_back' : 'failed';
    }
    await this.markSlot(run, idle, run.version, 'running', 100);
    await models.upsertVersion(run.modelId, {
      version: run.version,
      artifactUri: run.artifact.uri,
      sha256: run.artifact.sha256,
      status: 'deployed',
      lastDeployedAt: this.now().toISOString(),
    });
    await this.deps.runs.updateRun(run.id, this.owner, { previousVersion });
    return 'succeeded';
  }

  /**
   * Canary: the new version goes to the idle color, then takes a growing share of traffic step
   * by step. At each step production-like requests go through the production endpoint and are
   * told apart by `x-model-version`; the canary's error rate and p95 are checked against the
   * rules and against the stable color. A breach, or a manual abort, returns all traffic to the
   * stable color (the run ends rolled_back); the last step, or a manual promote, switches to the
   * canary for good.
   */
  private async runCanary(
    run: StoredRun,
    ctx: StageContext,
    fetched: FetchedArtifact,
    active: SlotName,
    previousVersion: string,
  ): Promise<'succeeded' | 'rolled_back' | 'failed'> {
    const { runs, models } = this.deps;
    const options = this.deps.canary ?? DEFAULT_CANARY_OPTIONS;
    const idle: 'blue' | 'green' = active === 'blue' ? 'green' : 'blue';
    const limits = this.deps.healthLimits?.(run.rules) ?? { maxErrorRatePct: 5, maxP95Ms: 5000 };
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
    const save = async () => {
      if (!(await runs.setCanary(run.id, this.owner, state))) {
        throw new LeaseLost(run.id);
      }
    };
    await ctx.recorder.metric({ strategy: 'canary', slot: idle });
    await save();

    await this.markSlot(run, idle, run.version, 'starting', 0);
    const { endpoint: canaryEndpoint } = await ctx.runtime.deploy({
      model: ctx.model,
      slot: idle,
      artifact: { ...run.artifact, version: run.version, localPath: fetched.localPath },
      config: ctx.config,
    });
    await this.markSlot(run, idle, run.version, 'running', 0);
    await ctx.recorder.check(`deploy ${idle}`, true, `canary ${run.version} at ${canaryEndpoint}`);
    const description = await ctx.runtime.describe({ model: ctx.model });
    const endpoint = description.productionEndpoint!;
    const inputs = ctx.verificationInputs.length ? ctx.verificationInputs : ['canary probe'];

    const abort = async (reason: string): Promise<'rolled_back'> => {
      await ctx.runtime.setTraffic({ model: ctx.model, weights: { [active]: 100, [idle]: 0 } });
      state.status = 'aborted';
      state.weight = 0;
      await save();
      await ctx.recorder.check('canary-abort', true, `traffic back to ${active} (${previousVersion}): ${reason}`);
      ctx.recorder.errors.push(`Canary aborted: ${reason}`);
      await this.deps.switcher!.recordAbort({
        modelId: run.modelId,
        from: idle,
        to: active,
        fromVersion: run.version,
        toVersion: previousVersion,
        runId: run.id,
        reason,
      });
      await ctx.runtime.undeploy({ model: ctx.model, slot: idle }).catch(() => undefined);
      await this.markSlot(run, idle, undefined, 'empty', 0);
      await models.upsertVersion(run.modelId, {
        version: run.version,
        artifactUri: run.artifact.uri,
        sha256: run.artifact.sha256,
        status: 'failed',
      });
      await runs.updateRun(run.id, this.owner, { previousVersion });
      return 'rolled_back';
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
      await this.markSlot(run, idle, run.version, 'running', weight);
      await save();

      const samples = { canary: [] as number[], stable: [] as number[] };
      const errors = { canary: 0, stable: 0 };
      const deadline = performance.now() + options.stepSeconds * 1000;
      let command: 'promote' | 'abort' | undefined;
      let i = 0;
      while (performance.now() < deadline) {
        if (ctx.signal.aborted) throw ctx.signal.reason;
        const result = await predict(endpoint, inputs[i++ % inputs.length]);
        const side = result.version === run.version ? 'canary' : 'stable';
        samples[side].push(result.latencyMs);
        if (!result.ok) errors[side]++;
        if (i % 10 === 0) {
          command = await runs.takeCanaryCommand(run.id);
          if (command) break;
        }
        await new Promise(resolve => setTimeout(resolve, options.analysisIntervalMs));
      }
      command = command ?? (await runs.takeCanaryCommand(run.id));
      const figures = (side: 'canary' | 'stable') => ({
        requests: samples[side].length,
        errorRatePct: samples[side].length ? round((errors[side] / samples[side].length) * 100) : 0,
        p95Ms: samples[side].length ? round(percentile(samples[side], 95)) : 0,
      });
      const canary = figures('canary');
      const stable = figures('stable');
      const reasons: string[] = [];
      if (canary.requests === 0) reasons.push('no request reached the canary');
      if (canary.errorRatePct > limits.maxErrorRatePct) {
        reasons.push(`canary error rate ${canary.errorRatePct} % is over the rule's ${limits.maxErrorRatePct} %`);
      }
      if (canary.errorRatePct > stable.errorRatePct + options.maxErrorRateIncreasePct) {
        reasons.push(`canary error rate ${canary.errorRatePct} % against stable ${stable.errorRatePct} %`);
      }
      if (canary.p95Ms > limits.maxP95Ms) {
        reasons.push(`canary p95 ${canary.p95Ms} ms is over the rule's ${limits.maxP95Ms} ms`);
      }
      if (stable.requests > 0 && canary.p95Ms > stable.p95Ms * options.maxLatencyRatio + 20) {
        reasons.push(`canary p95 ${canary.p95Ms} ms against stable ${stable.p95Ms} ms`);
      }
      const analysis: CanaryAnalysis = {
        step: index,
        weight,
        at: this.now().toISOString(),
        ok: reasons.length === 0,
        canary,
        stable,
        reasons,
      };
      state.analyses.push(analysis);
      await save();
      await ctx.recorder.check(
        `canary ${weight} %`,
        analysis.ok,
        `canary ${canary.requests} requests, ${canary.errorRatePct} % errors, p95 ${canary.p95Ms} ms; stable ${stable.requests} requests, ${stable.errorRatePct} % errors, p95 ${stable.p95Ms} ms${
          reasons.length ? `: ${reasons.join('; ')}` : ''
        }`,
      );
      if (command === 'abort') return abort('aborted by hand');
      if (!analysis.ok && command !== 'promote') return abort(reasons.join('; '));
      if (command === 'promote') {
        await ctx.recorder.check('canary-promote', true, `promoted by hand at ${weight} %`);
        break;
      }
    }

    // Promotion: the canary color takes all traffic, verified and watched like any switch.
    state.step = options.steps.length - 1;
    state.weight = 100;
    await save();
    try {
      const record = await this.deps.switcher!.switch({
        runtime: ctx.runtime,
        model: ctx.model,
        kind: 'canary-promotion',
        from: active,
        to: idle,
        fromVersion: previousVersion,
        toVersion: run.version,
        limits,
        requestedBy: run.createdBy,
        reason: `canary of ${run.version} (run ${run.id})`,
        runId: run.id,
        onCheck: c => ctx.recorder.check(`promotion: ${c.name}`, c.ok, c.detail, c.durationMs),
      });
      await ctx.recorder.metric({ switchMs: record.durationMs ?? 0 });
    } catch (error) {
      if (!(error instanceof SwitchFailure)) throw error;
      state.status = 'aborted';
      await save();
      ctx.recorder.errors.push(error.message);
      await ctx.runtime.undeploy({ model: ctx.model, slot: idle }).catch(() => undefined);
      await this.markSlot(run, idle, undefined, 'empty', 0);
      return error.record?.status === 'rolled_back' ? 'rolled_back' : 'failed';
    }
    state.status = 'promoted';
    await save();
    await this.markSlot(run, idle, run.version, 'running', 100);
    await models.upsertVersion(run.modelId, {
      version: run.version,
      artifactUri: run.artifact.uri,
      sha256: run.artifact.sha256,
      status: 'deployed',
      lastDeployedAt: this.now().toISOString(),
    });
    await runs.updateRun(run.id, this.owner, { previousVersion });
    return 'succeeded';
  }

  private async restorePrevious(
    run: StoredRun,
    ctx: StageContext,
    slot: SlotName,
    previousVersion: string,
  ): Promise<boolean> {
    const { models, runs } = this.deps;
    await ctx.recorder.metric({ restoring: previousVersion });
    try {
      const known = (await runs.listSucceededVersions(run.modelId)).find(
        v => v.version === previousVersion,
      );
      if (!known) {
        throw new Error(`no succeeded run of ${previousVersion} to take its artifact from`);
      }
      const previous = await this.deps.fetcher.fetch({
        uri: known.uri,
        sha256: known.sha256 ?? '',
        modelId: run.modelId,
        version: previousVersion,
      });
      const endpoint = await deployToProduction(ctx, slot, previousVersion, {
        uri: known.uri,
        sha256: known.sha256,
        localPath: previous.localPath,
      });
      const probe = await Promise.all(
        Array.from({ length: 3 }, () =>
          fetch(new URL('/healthz', endpoint)).then(r => r.headers.get('x-model-version')),
        ),
      );
      const restored = probe.every(v => v === previousVersion);
      await ctx.recorder.check(
        'rollback',
        restored,
        restored
          ? `${previousVersion} serves production again`
          : `after restoring, production answers ${probe.join(', ')}`,
      );
      await this.markSlot(run, slot, previousVersion, 'running', 100);
      await models.upsertModel({
        modelId: run.modelId,
        entityRef: run.entityRef,
        productionVersion: previousVersion,
        activeSlot: slot,
      });
      await models.upsertVersion(run.modelId, {
        version: run.version,
        artifactUri: run.artifact.uri,
        sha256: run.artifact.sha256,
        status: 'failed',
      });
      await runs.updateRun(run.id, this.owner, { previousVersion });
      return restored;
    } catch (error) {
      await ctx.recorder.check('rollback', false, `restoring ${previousVersion} failed: ${error}`);
      return false;
    }
  }

  private async markRemaining(run: StoredRun, after: StageName, status: 'skipped' | 'cancelled') {
    const index = run.stages.findIndex(s => s.name === after);
    for (const stage of run.stages.slice(index + 1)) {
      await this.deps.runs.updateStage(run.id, stage.name, { status });
    }
  }

  private async markSlot(
    run: StoredRun,
    slot: SlotName,
    version: string | undefined,
    state: 'empty' | 'starting' | 'running',
    trafficWeight = 0,
  ) {
    // Slots hang off the model row; make sure it exists before the first slot does.
    await this.deps.models.upsertModel({ modelId: run.modelId, entityRef: run.entityRef });
    let endpoint: string | undefined;
    if (state === 'running') {
      const runtime = this.deps.getRuntime(run.runtime);
      const description = await runtime
        ?.describe({ model: { modelId: run.modelId, entityRef: run.entityRef } })
        .catch(() => undefined);
      endpoint = description?.slots.find(s => s.slot === slot)?.endpoint;
    }
    await this.deps.models.upsertSlot(run.modelId, {
      slot,
      version,
      endpoint,
      state,
      trafficWeight,
    });
  }
}
