import {
  AuthService,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import { getCompoundEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { ConflictError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ANNOTATION_MODEL_ID,
  ModelSpecContext,
  parseModelSpec,
} from '@model-ops/plugin-model-ops-common';
import { ModelStore } from '../database/ModelStore';
import { DeploymentsService } from './DeploymentsService';
import { RunStore } from './RunStore';

/**
 * With the embedded defaults, gives every demo model a first production version by sending it
 * through the pipeline: each model that has no production version and has never had a run gets
 * one deploy run of the configured version from the artifact index. Runs as a global scheduled
 * task, so one replica does it, and a model that failed once is not retried forever.
 *
 * @internal
 */
export class DemoBootstrap {
  constructor(
    private readonly deps: {
      catalog: CatalogService;
      auth: AuthService;
      deployments: DeploymentsService;
      runs: RunStore;
      store: ModelStore;
      specContext: () => ModelSpecContext;
      logger: LoggerService;
      version: string;
    },
  ) {}

  async run(): Promise<void> {
    const credentials = await this.deps.auth.getOwnServiceCredentials();
    const { items } = await this.deps.catalog.getEntities(
      { filter: { [`metadata.annotations.${ANNOTATION_MODEL_ID}`]: CATALOG_FILTER_EXISTS } },
      { credentials },
    );
    for (const entity of items) {
      const result = parseModelSpec(entity, this.deps.specContext());
      if (!result.ok) continue;
      const { spec } = result;
      const stored = await this.deps.store.getModel(spec.modelId);
      if (stored?.productionVersion) continue;
      const history = await this.deps.runs.listRuns(spec.modelId, { limit: 1 });
      if (history.items.length > 0) continue;
      const ref = stringifyEntityRef(entity);
      const offered = await this.deps.deployments.availableVersions(
        getCompoundEntityRef(entity),
        credentials,
      );
      const artifact = offered.find(v => v.version === this.deps.version);
      if (!artifact?.sha256) {
        this.deps.logger.info(
          `No artifact of ${spec.modelId} ${this.deps.version} in the index; not bootstrapping it`,
        );
        continue;
      }
      try {
        const run = await this.deps.deployments.create(
          {
            entityRef: ref,
            version: artifact.version,
            artifact: { uri: artifact.uri, sha256: artifact.sha256 },
          },
          { credentials },
        );
        this.deps.logger.info(`Bootstrapping ${spec.modelId} ${artifact.version}: run ${run.id}`);
      } catch (error) {
        if (!(error instanceof ConflictError)) {
          this.deps.logger.warn(`Could not bootstrap ${spec.modelId}: ${error}`);
        }
      }
    }
  }
}
