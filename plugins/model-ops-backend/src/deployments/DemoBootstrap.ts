import {
  AuthService,
  LoggerService,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';
import { getCompoundEntityRef } from '@backstage/catalog-model';
import { ConflictError } from '@backstage/errors';
import { PluginTask } from '../lib/tasks';
import { ModelIndex, ModelStore, isExternalModel } from '../models';
import { DeploymentsService } from './DeploymentsService';
import { RunStore } from './RunStore';

/**
 * With the embedded defaults, gives every demo model a first production version by sending it
 * through the pipeline: each model that has no production version and has never had a run gets
 * one deploy run of the configured version from the artifact index. Runs as a global task, so
 * one replica does it, and a model that failed once is not retried forever.
 *
 * @internal
 */
export class DemoBootstrap implements PluginTask {
  readonly id = 'model-ops-demo-bootstrap';
  readonly scope = 'global';
  readonly schedule: SchedulerServiceTaskScheduleDefinition;

  constructor(
    private readonly deps: {
      models: ModelIndex;
      auth: AuthService;
      deployments: DeploymentsService;
      runs: RunStore;
      store: ModelStore;
      logger: LoggerService;
      version: string;
      schedule: SchedulerServiceTaskScheduleDefinition;
    },
  ) {
    this.schedule = deps.schedule;
  }

  async run(): Promise<void> {
    const { deployments, logger, version } = this.deps;
    const credentials = await this.deps.auth.getOwnServiceCredentials();
    for (const { entity, spec } of await this.deps.models.list()) {
      // A model Model Ops does not deploy has nothing to bootstrap.
      if (!spec || isExternalModel(spec)) continue;
      const stored = await this.deps.store.getModel(spec.modelId);
      if (stored?.productionVersion) continue;
      const history = await this.deps.runs.listRuns(spec.modelId, { limit: 1 });
      if (history.items.length > 0) continue;
      const offered = await deployments.availableVersions(
        getCompoundEntityRef(entity),
        credentials,
      );
      const artifact = offered.find(v => v.version === version);
      if (!artifact?.sha256) {
        logger.info(
          `No artifact of ${spec.modelId} ${version} in the index; not bootstrapping it`,
        );
        continue;
      }
      try {
        const run = await deployments.create(
          {
            entityRef: spec.entityRef,
            version: artifact.version,
            artifact: { uri: artifact.uri, sha256: artifact.sha256 },
          },
          // The plugin's own credentials: the guard's one built-in exception.
          { credentials, builtIn: 'demo-bootstrap' },
        );
        logger.info(
          `Bootstrapping ${spec.modelId} ${artifact.version}: run ${run.id}`,
        );
      } catch (error) {
        if (!(error instanceof ConflictError)) {
          logger.warn(`Could not bootstrap ${spec.modelId}: ${error}`);
        }
      }
    }
  }
}
