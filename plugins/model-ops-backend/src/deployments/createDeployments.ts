import {
  AuthService,
  LoggerService,
  UrlReaderService,
} from '@backstage/backend-plugin-api';
import { ModelRuntime } from '@model-ops/plugin-model-ops-node';
import { Knex } from 'knex';
import { ActionGuard } from '../lib/guard';
import { Capability, PluginTask } from '../lib/tasks';
import { ModelIndex, ModelStore } from '../models';
import { ArtifactFetcher } from './ArtifactFetcher';
import { DatabaseRunStore } from './DatabaseRunStore';
import { DefaultDeploymentsService } from './DefaultDeploymentsService';
import { DemoBootstrap } from './DemoBootstrap';
import { DeploymentsService } from './DeploymentsService';
import { DeploymentsOptions } from './options';
import { PipelineWorker } from './PipelineWorker';
import { ProductionReconciler } from './ProductionReconciler';
import { ProductionSwitch } from './ProductionSwitch';
import { RunStore } from './RunStore';

/**
 * What the deployments capability is built from.
 *
 * @internal
 */
export interface DeploymentsDeps {
  logger: LoggerService;
  auth: AuthService;
  guard: ActionGuard;
  models: ModelIndex;
  store: ModelStore;
  /** The plugin's database, migrated (the models store applies the migrations). */
  knex: Knex;
  getRuntime: (id: string) => ModelRuntime | undefined;
  /** Reads `http(s)` artifacts (`coreServices.urlReader`); without it they are refused. */
  urlReader?: UrlReaderService;
  /** The production strategies' traffic switching; without it every run replaces in place. */
  switching?: ProductionSwitch;
  options: DeploymentsOptions;
  /** Replaces the database run store (tests). */
  runs?: RunStore;
}

/**
 * Deployment runs: the service behind the deployment routes, the pipeline worker that executes
 * runs (its lease loop is the capability's start and stop), and the tasks that keep production
 * running (reconcile) and give demo models their first version (when configured).
 *
 * @internal
 */
export function createDeployments(
  deps: DeploymentsDeps,
): Capability<DeploymentsService> {
  const { logger, options } = deps;
  const runs = deps.runs ?? DatabaseRunStore.create({ knex: deps.knex });
  const fetcher = new ArtifactFetcher({
    cacheDir: options.pipeline.cacheDir,
    fileRoot: options.pipeline.fileRoot,
    fileRoots: options.pipeline.fileRoots,
    maxBytes: options.pipeline.maxArtifactBytes,
    urlReader: deps.urlReader,
    logger: logger.child({ task: 'model-ops-artifacts' }),
  });
  const worker = new PipelineWorker({
    runs,
    models: deps.store,
    fetcher,
    options: options.pipeline,
    logger: logger.child({ task: 'model-ops-pipeline' }),
    getRuntime: deps.getRuntime,
    switching: deps.switching,
    canary: options.canary,
  });
  const service = new DefaultDeploymentsService({
    models: deps.models,
    store: deps.store,
    runs,
    guard: deps.guard,
    artifactIndexFile: options.artifactIndexFile,
    onRunCreated: () => void worker.poll(),
    getRuntime: deps.getRuntime,
    checkArtifact: uri => fetcher.checkSource(uri),
  });

  const tasks: PluginTask[] = [
    new ProductionReconciler({
      store: deps.store,
      runs,
      fetcher,
      getRuntime: deps.getRuntime,
      logger: logger.child({ task: 'model-ops-reconcile' }),
      schedule: options.reconcileSchedule,
    }),
  ];
  if (options.demo?.bootstrap) {
    tasks.push(
      new DemoBootstrap({
        models: deps.models,
        auth: deps.auth,
        deployments: service,
        runs,
        store: deps.store,
        logger: logger.child({ task: 'model-ops-demo-bootstrap' }),
        version: options.demo.version,
        schedule: options.demo.schedule,
      }),
    );
  }

  return {
    service,
    tasks,
    start: () => worker.start(),
    stop: () => worker.stop(),
  };
}
