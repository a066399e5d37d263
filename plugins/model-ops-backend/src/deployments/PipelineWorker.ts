import { LoggerService } from '@backstage/backend-plugin-api';
import { ModelRuntime } from '@model-ops/plugin-model-ops-node';
import { randomUUID } from 'node:crypto';
import { ModelStore } from '../models';
import { ArtifactFetcher } from './ArtifactFetcher';
import { CanaryOptions, PipelineOptions } from './options';
import { ProductionSwitch } from './ProductionSwitch';
import { RunExecutor } from './RunExecutor';
import { LeaseLost, RunCancelled } from './runErrors';
import { RunChanges, RunStore, StoredRun } from './RunStore';

/**
 * Executes deployment runs. Each backend replica runs one worker; a worker claims runs through a
 * lease row in the database, renews the lease while it works, and picks up runs whose lease
 * expired because their replica died. Stages are idempotent, so a resumed run repeats the stage
 * it was in. What a run does is the {@link RunExecutor}'s; this class only holds leases.
 *
 * @internal
 */
export class PipelineWorker {
  readonly owner = `worker-${randomUUID()}`;
  private readonly executor: RunExecutor;
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
      switching?: ProductionSwitch;
      /** How canary releases step and analyse. */
      canary?: CanaryOptions;
      now?: () => Date;
    },
  ) {
    this.executor = new RunExecutor(deps);
  }

  private now(): Date {
    return this.deps.now ? this.deps.now() : new Date();
  }

  /** Starts polling for runs. */
  start() {
    this.stopped = false;
    this.deps.logger.info(`Deployment worker ${this.owner} started`);
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
    const polling = this.claimRuns();
    // Cleared by identity once settled: a poll with no room for a run settles at once, before
    // this assignment, and must not stay behind as the poll every later call returns.
    this.polling = polling;
    polling.finally(() => {
      if (this.polling === polling) this.polling = undefined;
    });
    return polling;
  }

  private async claimRuns(): Promise<void> {
    try {
      while (
        !this.stopped &&
        this.active.size < this.deps.options.maxConcurrentRuns
      ) {
        const run = await this.deps.runs.claimNextRun(
          this.owner,
          this.deps.options.leaseSeconds * 1000,
        );
        if (!run) break;
        this.launch(run);
      }
    } catch (error) {
      this.deps.logger.error(`Claiming deployment runs failed: ${error}`);
    }
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
        this.deps.logger.error(
          `Run ${run.id} of ${run.modelId} crashed: ${error}`,
        ),
      )
      .finally(() => {
        this.active.delete(run.id);
        if (!this.stopped) {
          // Another run may be waiting for this model or for a free worker.
          void this.poll();
        }
      });
  }

  /** Executes one claimed run while holding its lease. */
  private async execute(
    run: StoredRun,
    controller: AbortController,
  ): Promise<void> {
    const { runs, logger } = this.deps;
    const leaseMs = this.deps.options.leaseSeconds * 1000;
    let lastRenewed = performance.now();
    const lose = () => {
      if (!controller.signal.aborted) controller.abort(new LeaseLost(run.id));
    };
    // Renews the lease; a refused renewal, or none that succeeded for a whole lease (the
    // database was unreachable, so another replica may have the run by now), loses the run.
    const renew = async (): Promise<boolean> => {
      try {
        if (await runs.renewLease(run.id, this.owner, leaseMs)) {
          lastRenewed = performance.now();
          return true;
        }
        lose();
        return false;
      } catch (error) {
        logger.warn(`Renewing the lease of run ${run.id} failed: ${error}`);
        if (performance.now() - lastRenewed >= leaseMs) lose();
        throw error;
      }
    };
    const heartbeat = setInterval(async () => {
      try {
        if (
          (await renew()) &&
          !controller.signal.aborted &&
          (await runs.isCancelRequested(run.id))
        ) {
          controller.abort(new RunCancelled());
        }
      } catch {
        // Logged by renew; the lease is lost once renewals fail for a whole lease.
      }
    }, Math.max(200, leaseMs / 3));
    heartbeat.unref?.();
    const confirm = async () => {
      if (controller.signal.reason instanceof LeaseLost) {
        throw controller.signal.reason;
      }
      if (!(await renew())) throw new LeaseLost(run.id);
    };

    const update = async (changes: RunChanges) => {
      if (!(await runs.updateRun(run.id, this.owner, changes))) {
        throw new LeaseLost(run.id);
      }
    };

    try {
      if (run.status === 'pending') {
        await update({ status: 'running', startedAt: this.now() });
      } else {
        logger.info(
          `Resuming run ${run.id} of ${run.modelId} at stage ${run.stage}`,
        );
      }
      await this.executor.execute(run, {
        owner: this.owner,
        signal: controller.signal,
        update,
        confirm,
      });
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
      logger.error(
        `Run ${run.id} of ${run.modelId} failed unexpectedly: ${error}`,
      );
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
}
