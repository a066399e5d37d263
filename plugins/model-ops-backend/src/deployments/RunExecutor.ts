import { LoggerService } from '@backstage/backend-plugin-api';
import { JsonObject } from '@backstage/types';
import {
  CanaryState,
  DeploymentStage,
  PRODUCTION_SLOTS,
  SlotName,
  StageName,
} from '@model-ops/plugin-model-ops-common';
import { ModelRuntime } from '@model-ops/plugin-model-ops-node';
import { ModelStore } from '../models';
import { fencedModels, fencedRuntime } from './fencing';
import { ArtifactFetcher, FetchedArtifact } from './ArtifactFetcher';
import {
  CanaryOptions,
  DEFAULT_CANARY_OPTIONS,
  PipelineOptions,
} from './options';
import { ProductionSwitch } from './ProductionSwitch';
import { RunChanges, RunStore, StageUpdate, StoredRun } from './RunStore';
import { StageContext, StageFailure, StageRecorder } from './StageRecorder';
import { runStaging, runTesting, runValidation } from './stages';
import { LeaseLost, RunCancelled } from './runErrors';
import {
  ProductionContext,
  ProductionOutcome,
  ProductionStrategy,
  SlotMark,
  completeCommitted,
  createProductionStrategy,
  otherColor,
} from './strategies';

/**
 * The hold a worker has on a claimed run: run writes go through `update`, which throws
 * LeaseLost once another replica has the run; `signal` aborts on cancel, lease loss or shutdown.
 *
 * @internal
 */
export interface RunLease {
  owner: string;
  signal: AbortSignal;
  update(changes: RunChanges): Promise<void>;
  /**
   * Renews the lease now, on the database's clock; throws LeaseLost (and aborts `signal`) when
   * another worker holds the run. Called before every side effect outside the run's own rows.
   */
  confirm(): Promise<void>;
}

type Ending = 'succeeded' | 'failed' | 'rolled_back' | 'cancelled';

/**
 * Takes one claimed run through its stages, from the stage it is in. This is the one writer of
 * a run's state: stages and strategies return results and note checks in a recorder; the
 * executor stores them, with each named production step reached.
 *
 * @internal
 */
export class RunExecutor {
  private readonly strategy: ProductionStrategy;

  constructor(
    private readonly deps: {
      runs: RunStore;
      models: ModelStore;
      fetcher: ArtifactFetcher;
      options: PipelineOptions;
      logger: LoggerService;
      getRuntime: (id: string) => ModelRuntime | undefined;
      /** Switches traffic between colors; without it every strategy replaces in place. */
      switching?: ProductionSwitch;
      canary?: CanaryOptions;
      strategy?: ProductionStrategy;
      now?: () => Date;
    },
  ) {
    this.strategy = deps.strategy ?? createProductionStrategy();
  }

  private now(): Date {
    return this.deps.now ? this.deps.now() : new Date();
  }

  async execute(run: StoredRun, lease: RunLease): Promise<void> {
    const { runs, options, fetcher } = this.deps;
    const { signal } = lease;
    const confirm = () => lease.confirm();
    const installed = this.deps.getRuntime(run.runtime);
    // Every runtime call and model-store write of the run is fenced by its lease.
    const runtime = installed ? fencedRuntime(installed, confirm) : undefined;
    const models = fencedModels(this.deps.models, confirm);
    const model = { modelId: run.modelId, entityRef: run.entityRef };
    let fetched: FetchedArtifact | undefined;

    for (const stage of run.stages) {
      if (stage.status === 'succeeded' || stage.status === 'skipped') {
        if (stage.name === 'validation' && runtime) {
          // A resumed run needs the artifact again; it is cached, so this is cheap.
          fetched = await fetcher.fetch({
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
        await this.writeStage(run, lease, stage.name, {
          status: 'cancelled',
          finishedAt: this.now(),
        });
        await this.markRemaining(run, lease, stage.name, 'cancelled');
        await this.cleanup(run, lease, runtime, models);
        await this.finish(run, lease, 'cancelled', 'Cancelled on request');
        return;
      }

      const recorder: StageRecorder = new StageRecorder(
        () => this.now(),
        () => this.recordStage(run, lease, stage.name, recorder),
      );
      // Production resumed after a crash keeps its notebook: the steps it reached and the
      // production it started from tell the resumed run where it stands.
      const resumed = stage.name === 'production' && stage.status === 'running';
      if (resumed) {
        recorder.checks.push(...stage.checks);
        recorder.errors.push(...stage.errors);
        Object.assign(recorder.metrics, stage.metrics);
      }
      await lease.update({ stage: stage.name });
      await this.writeStage(run, lease, stage.name, {
        status: 'running',
        startedAt: resumed ? undefined : this.now(),
        finishedAt: null,
        checks: recorder.checks,
        errors: recorder.errors,
        metrics: recorder.metrics,
      });

      try {
        if (!runtime) {
          await recorder.check(
            'runtime',
            false,
            `runtime "${run.runtime}" is not installed in this backend`,
          );
          throw new StageFailure(
            `Runtime "${run.runtime}" is not installed in this backend`,
          );
        }
        const ctx: StageContext = {
          model,
          version: run.version,
          artifact: run.artifact,
          config: (run.config.runtime ?? {}) as JsonObject,
          runtime,
          fetcher,
          budgets: options.perModel.get(run.modelId) ?? options.defaults,
          verificationInputs: verificationInputsFor(options, fetched),
          recorder,
          signal,
        };
        if (stage.name === 'production') {
          const outcome = await this.runProduction(
            run,
            ctx,
            fetched!,
            lease,
            models,
            resumed,
          );
          await this.endStage(
            run,
            lease,
            stage,
            outcome.status === 'succeeded' ? 'succeeded' : 'failed',
            recorder,
          );
          await this.cleanup(run, lease, runtime, models);
          await this.finish(
            run,
            lease,
            outcome.status,
            outcome.status === 'succeeded'
              ? undefined
              : recorder.errors[recorder.errors.length - 1],
          );
          return;
        }
        fetched = await this.runStage(run, models, stage.name, ctx, fetched);
        await this.endStage(run, lease, stage, 'succeeded', recorder);
      } catch (error) {
        if (error instanceof LeaseLost) throw error;
        const cancelled =
          signal.aborted && signal.reason instanceof RunCancelled;
        if (signal.aborted && !cancelled) throw signal.reason;
        let message = `${stage.name} failed: ${
          (error as Error)?.message ?? error
        }`;
        if (cancelled) message = 'Cancelled on request';
        else if (error instanceof StageFailure) message = error.message;
        if (!cancelled) {
          recorder.errors.push(message);
        }
        await this.endStage(
          run,
          lease,
          stage,
          cancelled ? 'cancelled' : 'failed',
          recorder,
        );
        await this.markRemaining(
          run,
          lease,
          stage.name,
          cancelled ? 'cancelled' : 'skipped',
        );
        await this.cleanup(run, lease, runtime, models);
        await this.finish(
          run,
          lease,
          cancelled ? 'cancelled' : 'failed',
          message,
        );
        return;
      }
    }
    await this.finish(run, lease, 'succeeded');
  }

  /** The stages before production; returns the fetched artifact once validation has it. */
  private async runStage(
    run: StoredRun,
    models: ModelStore,
    name: StageName,
    ctx: StageContext,
    fetched: FetchedArtifact | undefined,
  ): Promise<FetchedArtifact | undefined> {
    switch (name) {
      case 'validation':
        return runValidation(ctx);
      case 'testing':
        await this.markSlot(run, models, 'testing', run.version, 'starting');
        await runTesting(ctx, fetched!);
        await this.markSlot(run, models, 'testing', undefined, 'empty');
        return fetched;
      case 'staging':
        await this.markSlot(run, models, 'staging', run.version, 'starting');
        await runStaging(ctx, fetched!);
        await this.markSlot(run, models, 'staging', run.version, 'running');
        return fetched;
      default:
        throw new Error(`Unknown stage ${name}`);
    }
  }

  private async runProduction(
    run: StoredRun,
    ctx: StageContext,
    fetched: FetchedArtifact,
    lease: RunLease,
    models: ModelStore,
    resumed: boolean,
  ): Promise<ProductionOutcome> {
    const { runs, switching } = this.deps;
    const { recorder } = ctx;
    if (resumed) {
      await recorder.check(
        'resume',
        true,
        `resumed by ${lease.owner} after ${
          recorder.metrics.step ?? 'the start of production'
        }`,
      );
      // An earlier owner that died mid-switch left it in progress: take it over and revert it,
      // so that production is where the database says before anything else happens.
      await switching?.settle({ runtime: ctx.runtime, model: ctx.model });
    }
    const stored = await models.getModel(run.modelId);
    const current = {
      version: stored?.productionVersion,
      slot:
        stored?.activeSlot && PRODUCTION_SLOTS.includes(stored.activeSlot)
          ? (stored.activeSlot as 'blue' | 'green')
          : undefined,
    };
    // What production ran when this stage first started: a resumed run reads it from the
    // notebook, so `previousVersion` keeps its meaning even after the switch committed.
    let baseline = resumed ? baselineOf(recorder.metrics) : undefined;
    if (!baseline) {
      baseline = current;
      await recorder.metric({
        baselineVersion: baseline.version ?? '',
        baselineSlot: baseline.slot ?? '',
      });
      await lease.update({ previousVersion: baseline.version ?? null });
    }
    const production: ProductionContext = {
      ...ctx,
      run,
      fetched,
      active: baseline.slot,
      previousVersion: baseline.version,
      switching,
      canary: this.deps.canary ?? DEFAULT_CANARY_OPTIONS,
      models,
      markSlot: (slot, version, state, weight) =>
        this.markSlot(run, models, slot, version, state, weight),
      reached: step => ctx.recorder.metric({ step }),
      saveCanary: async (state: CanaryState) => {
        if (!(await runs.setCanary(run.id, lease.owner, state))) {
          throw new LeaseLost(run.id);
        }
      },
      takeCanaryCommand: () => runs.takeCanaryCommand(run.id),
      succeededVersions: () => runs.listSucceededVersions(run.modelId),
      now: () => this.now(),
    };
    if (resumed) {
      const committed = await this.committedBefore(run, baseline, current);
      if (committed && current.slot) {
        await recorder.check(
          'resume',
          true,
          `${current.slot} already serves ${run.version}: the switch committed before the takeover`,
        );
        await completeCommitted(production, current.slot);
        return {
          status: 'succeeded',
          previousVersion: baseline.version ?? null,
        };
      }
      if (switching && baseline.slot && baseline.version) {
        // Not committed: the baseline color is still the active one. A canary's split or a
        // switch's weights may still be in the router, so traffic goes back to it first.
        await ctx.runtime.setTraffic({
          model: ctx.model,
          weights: { [baseline.slot]: 100, [otherColor(baseline.slot)]: 0 },
        });
        await recorder.check(
          'resume',
          true,
          `traffic back to ${baseline.slot} (${baseline.version}) before production starts again`,
        );
      }
    }
    const outcome = await this.strategy.deploy(production);
    if (outcome.previousVersion !== undefined) {
      await lease.update({ previousVersion: outcome.previousVersion });
    }
    return outcome;
  }

  /**
   * Whether the run's version went live before the run was resumed: a switch of this run
   * committed, or (in place) the model's production version became the run's.
   */
  private async committedBefore(
    run: StoredRun,
    baseline: { version?: string },
    current: { version?: string; slot?: string },
  ): Promise<boolean> {
    if (current.version !== run.version) return false;
    if (baseline.version !== run.version) return true;
    // The same version again: only this run's own committed switch tells.
    const switches =
      (await this.deps.switching?.ofRun(run.modelId, run.id)) ?? [];
    return switches.some(
      s => s.status === 'succeeded' && s.to === current.slot,
    );
  }

  /** Writes a stage while the run's lease holds; LeaseLost (nothing written) otherwise. */
  private async writeStage(
    run: StoredRun,
    lease: RunLease,
    name: StageName,
    update: StageUpdate,
  ): Promise<void> {
    if (
      !(await this.deps.runs.updateStage(run.id, name, update, lease.owner))
    ) {
      throw new LeaseLost(run.id);
    }
  }

  private recordStage(
    run: StoredRun,
    lease: RunLease,
    name: StageName,
    recorder: StageRecorder,
  ): Promise<void> {
    return this.writeStage(run, lease, name, {
      checks: recorder.checks,
      errors: recorder.errors,
      metrics: recorder.metrics,
    });
  }

  private async endStage(
    run: StoredRun,
    lease: RunLease,
    stage: DeploymentStage,
    status: 'succeeded' | 'failed' | 'cancelled',
    recorder: StageRecorder,
  ): Promise<void> {
    await this.writeStage(run, lease, stage.name, {
      status,
      finishedAt: this.now(),
      checks: recorder.checks,
      errors: recorder.errors,
      metrics: recorder.metrics,
    });
  }

  private async finish(
    run: StoredRun,
    lease: RunLease,
    status: Ending,
    error?: string,
  ) {
    await lease.update({
      status,
      stage: null,
      finishedAt: this.now(),
      error: error ?? null,
    });
    this.deps.logger.info(
      `Run ${run.id} (${run.kind} ${run.modelId} ${
        run.version
      }) ended ${status}${error ? `: ${error}` : ''}`,
    );
  }

  /** The testing and staging instances are gone once a run ends, however it ends. */
  private async cleanup(
    run: StoredRun,
    lease: RunLease,
    runtime: ModelRuntime | undefined,
    models: ModelStore,
  ) {
    if (!runtime) return;
    const model = { modelId: run.modelId, entityRef: run.entityRef };
    for (const slot of ['testing', 'staging'] as SlotName[]) {
      // A lost lease must stop the cleanup too: the run's new owner may be using the slots.
      await runtime.undeploy({ model, slot }).catch(rethrowLeaseLost);
      await this.markSlot(run, models, slot, undefined, 'empty').catch(
        rethrowLeaseLost,
      );
    }
    if (lease.signal.reason instanceof LeaseLost) throw lease.signal.reason;
  }

  private async markRemaining(
    run: StoredRun,
    lease: RunLease,
    after: StageName,
    status: 'skipped' | 'cancelled',
  ) {
    const index = run.stages.findIndex(s => s.name === after);
    for (const stage of run.stages.slice(index + 1)) {
      await this.writeStage(run, lease, stage.name, { status });
    }
  }

  private async markSlot(
    run: StoredRun,
    models: ModelStore,
    slot: SlotName,
    version: string | undefined,
    state: SlotMark,
    trafficWeight = 0,
  ) {
    // Slots hang off the model row; make sure it exists before the first slot does.
    await models.upsertModel({
      modelId: run.modelId,
      entityRef: run.entityRef,
    });
    let endpoint: string | undefined;
    if (state === 'running') {
      const description = await this.deps
        .getRuntime(run.runtime)
        ?.describe({
          model: { modelId: run.modelId, entityRef: run.entityRef },
        })
        .catch(() => undefined);
      endpoint = description?.slots.find(s => s.slot === slot)?.endpoint;
    }
    await models.upsertSlot(run.modelId, {
      slot,
      version,
      endpoint,
      state,
      trafficWeight,
    });
  }
}

/** The production a run's stage started from, as its notebook recorded it. */
function baselineOf(
  metrics: Record<string, unknown>,
): { version?: string; slot?: 'blue' | 'green' } | undefined {
  if (typeof metrics.baselineSlot !== 'string') return undefined;
  const slot = metrics.baselineSlot;
  return {
    version: (metrics.baselineVersion as string) || undefined,
    slot: slot === 'blue' || slot === 'green' ? slot : undefined,
  };
}

/** Swallows a failed cleanup step, unless it failed because the lease is gone. */
function rethrowLeaseLost(error: unknown): undefined {
  if (error instanceof LeaseLost) throw error;
  return undefined;
}

/**
 * The production-like inputs that verify a version in production: those of
 * `modelOps.pipeline.verificationFile`, else the inputs of the artifact's own functional cases
 * (tests.json), so that an installation without the file still verifies with real requests.
 */
function verificationInputsFor(
  options: { verificationInputs: string[] },
  fetched: FetchedArtifact | undefined,
): string[] {
  if (options.verificationInputs.length) return options.verificationInputs;
  return (fetched?.tests?.cases ?? [])
    .map(c => c.input)
    .filter((input): input is string => typeof input === 'string');
}
