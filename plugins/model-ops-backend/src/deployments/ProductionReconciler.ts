import {
  LoggerService,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import { SlotName } from '@model-ops/plugin-model-ops-common';
import { ModelRuntime } from '@model-ops/plugin-model-ops-node';
import { PluginTask } from '../lib/tasks';
import { ModelStore } from '../models';
import { ArtifactFetcher } from './ArtifactFetcher';
import { RunStore } from './RunStore';

/**
 * Brings back what production should run. When the runtime has lost a model's active color (the
 * host restarted, or the backend stopped its processes on shutdown), the version recorded as in
 * production is deployed again from its verified artifact and gets all traffic. Models whose
 * color is alive are left alone, so this is cheap to run at start and on a schedule. It runs
 * in every replica (`local`): the local runtime's processes belong to the replica's host. The
 * runtime is the one production was deployed with (the newest run's), not what the annotation
 * says today, and the stored production models need no catalog read.
 *
 * @internal
 */
export class ProductionReconciler implements PluginTask {
  readonly id = 'model-ops-production-reconcile';
  readonly scope = 'local';
  readonly schedule: SchedulerServiceTaskScheduleDefinition;

  constructor(
    private readonly deps: {
      store: ModelStore;
      runs: RunStore;
      fetcher: ArtifactFetcher;
      getRuntime: (id: string) => ModelRuntime | undefined;
      logger: LoggerService;
      schedule: SchedulerServiceTaskScheduleDefinition;
    },
  ) {
    this.schedule = deps.schedule;
  }

  async run(): Promise<void> {
    await this.reconcile();
  }

  /** One pass over the production models; returns the ids of those it restored. */
  async reconcile(): Promise<string[]> {
    const restored: string[] = [];
    for (const model of await this.deps.store.listProductionModels()) {
      try {
        if (
          await this.restore(
            model.modelId,
            model.entityRef,
            model.activeSlot!,
            model.productionVersion!,
          )
        ) {
          restored.push(model.modelId);
        }
      } catch (error) {
        this.deps.logger.warn(
          `Could not restore ${model.modelId} ${model.productionVersion}: ${error}`,
        );
      }
    }
    return restored;
  }

  private async restore(
    modelId: string,
    entityRef: string,
    slot: SlotName,
    version: string,
  ): Promise<boolean> {
    if ((await this.deps.runs.getActiveRun(modelId)) !== undefined) {
      return false; // a run is changing production right now
    }
    const [latest] = (await this.deps.runs.listRuns(modelId, { limit: 1 }))
      .items;
    const runtime = this.deps.getRuntime(latest?.runtime ?? 'local');
    if (!runtime) return false;
    const model = { modelId, entityRef };
    const health = await runtime.health({ model, slot });
    if (health.status !== 'absent') return false;
    const artifact = (await this.deps.runs.listSucceededVersions(modelId)).find(
      v => v.version === version,
    );
    if (!artifact?.sha256) {
      this.deps.logger.warn(
        `${modelId} ${version} is recorded in production but no verified artifact of it is known`,
      );
      return false;
    }
    const fetched = await this.deps.fetcher.fetch({
      uri: artifact.uri,
      sha256: artifact.sha256,
      modelId,
      version,
    });
    const { endpoint } = await runtime.deploy({
      model,
      slot,
      artifact: {
        uri: artifact.uri,
        sha256: artifact.sha256,
        version,
        localPath: fetched.localPath,
      },
      // The configuration it was deployed with, so that a restored model runs as it did.
      config: artifact.runtimeConfig,
    });
    await runtime.setTraffic({ model, weights: { [slot]: 100 } });
    await this.deps.store.upsertSlot(modelId, {
      slot,
      version,
      endpoint,
      state: 'running',
      trafficWeight: 100,
    });
    this.deps.logger.info(
      `Restored ${modelId} ${version} in ${slot}: the runtime had lost it`,
    );
    return true;
  }
}
