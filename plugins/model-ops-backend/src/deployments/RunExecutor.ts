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
import { ArtifactFetcher, FetchedArtifact } from './ArtifactFetcher';
import {
  CanaryOptions,
  DEFAULT_CANARY_OPTIONS,
  PipelineOptions,
} from './options';
import { ProductionSwitch } from './ProductionSwitch';
import { RunChanges, RunStore, StoredRun } from './RunStore';
import { StageContext, StageFailure, StageRecorder } from './StageRecorder';
import { runStaging, runTesting, runValidation } from './stages';
import {
  ProductionContext,
  ProductionOutcome,
  ProductionStrategy,
  SlotMark,
  createProductionStrategy,
} from './strategies';

/**
 * The run was taken over by another replica (this one's lease expired).
 *
 * @internal
 */
export class LeaseLost extends Error {
  constructor(runId: string) {
    super(`The lease on run ${runId} was taken over by another replica`);
    this.name = 'LeaseLost';
  }
}

/**
 * Someone asked for the run to be cancelled.
 *
 * @internal
 */
export class RunCancelled extends Error {
  constructor() {
    super('Cancelled on request');
    this.name = 'RunCancelled';
  }
}

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
    const runtime = this.deps.getRuntime(run.runtime);
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
        await runs.updateStage(run.id, stage.name, {
          status: 'cancelled',
          finishedAt: this.now(),
        });
        await this.markRemaining(run, stage.name, 'cancelled');
        await this.cleanup(run, runtime);
        await this.finish(run, lease, 'cancelled', 'Cancelled on request');
        return;
      }

      const recorder: StageRecorder = new StageRecorder(
        () => this.now(),
        () => this.recordStage(run, stage.name, recorder),
      );
      await lease.update({ stage: stage.name });
      await runs.updateStage(run.id, stage.name, {
        status: 'running',
        startedAt: this.now(),
        finishedAt: null,
        checks: [],
        errors: [],
        metrics: {},
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
          verificationInputs: options.verificationInputs,
          recorder,
          signal,
        };
        if (stage.name === 'production') {
          const outcome = await this.runProduction(run, ctx, fetched!, lease);
          await this.endStage(
            run,
            stage,
            outcome.status === 'succeeded' ? 'succeeded' : 'failed',
            recorder,
          );
          await this.cleanup(run, runtime);
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
        fetched = await this.runStage(run, stage.name, ctx, fetched);
        await this.endStage(run, stage, 'succeeded', recorder);
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
          stage,
          cancelled ? 'cancelled' : 'failed',
          recorder,
        );
        await this.markRemaining(
          run,
          stage.name,
          cancelled ? 'cancelled' : 'skipped',
        );
        await this.cleanup(run, runtime);
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
    name: StageName,
    ctx: StageContext,
    fetched: FetchedArtifact | undefined,
  ): Promise<FetchedArtifact | undefined> {
    switch (name) {
      case 'validation':
        return runValidation(ctx);
      case 'testing':
        await this.markSlot(run, 'testing', run.version, 'starting');
        await runTesting(ctx, fetched!);
        await this.markSlot(run, 'testing', undefined, 'empty');
        return fetched;
      case 'staging':
        await this.markSlot(run, 'staging', run.version, 'starting');
        await runStaging(ctx, fetched!);
        await this.markSlot(run, 'staging', run.version, 'running');
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
  ): Promise<ProductionOutcome> {
    const { models, runs, switching } = this.deps;
    const stored = await models.getModel(run.modelId);
    const active =
      stored?.activeSlot && PRODUCTION_SLOTS.includes(stored.activeSlot)
        ? (stored.activeSlot as 'blue' | 'green')
        : undefined;
    const production: ProductionContext = {
      ...ctx,
      run,
      fetched,
      active,
      previousVersion: stored?.productionVersion,
      switching,
      canary: this.deps.canary ?? DEFAULT_CANARY_OPTIONS,
      models,
      markSlot: (slot, version, state, weight) =>
        this.markSlot(run, slot, version, state, weight),
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
    const outcome = await this.strategy.deploy(production);
    if (outcome.previousVersion !== undefined) {
      await lease.update({ previousVersion: outcome.previousVersion });
    }
    return outcome;
  }

  private recordStage(
    run: StoredRun,
    name: StageName,
    recorder: StageRecorder,
  ): Promise<void> {
    return this.deps.runs.updateStage(run.id, name, {
      checks: recorder.checks,
      errors: recorder.errors,
      metrics: recorder.metrics,
    });
  }

  private async endStage(
    run: StoredRun,
    stage: DeploymentStage,
    status: 'succeeded' | 'failed' | 'cancelled',
    recorder: StageRecorder,
  ): Promise<void> {
    await this.deps.runs.updateStage(run.id, stage.name, {
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
  private async cleanup(run: StoredRun, runtime: ModelRuntime | undefined) {
    if (!runtime) return;
    const model = { modelId: run.modelId, entityRef: run.entityRef };
    for (const slot of ['testing', 'staging'] as SlotName[]) {
      await runtime.undeploy({ model, slot }).catch(() => undefined);
      await this.markSlot(run, slot, undefined, 'empty').catch(() => undefined);
    }
  }

  private async markRemaining(
    run: StoredRun,
    after: StageName,
    status: 'skipped' | 'cancelled',
  ) {
    const index = run.stages.findIndex(s => s.name === after);
    for (const stage of run.stages.slice(index + 1)) {
      await this.deps.runs.updateStage(run.id, stage.name, { status });
    }
  }

  private async markSlot(
    run: StoredRun,
    slot: SlotName,
    version: string | undefined,
    state: SlotMark,
    trafficWeight = 0,
  ) {
    // Slots hang off the model row; make sure it exists before the first slot does.
    await this.deps.models.upsertModel({
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
    await this.deps.models.upsertSlot(run.modelId, {
      slot,
      version,
      endpoint,
      state,
      trafficWeight,
    });
  }
}
