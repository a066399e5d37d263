import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { MiddlewareFactory } from '@backstage/backend-defaults/rootHttpRouter';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import {
  BUILT_IN_METRIC_SOURCES,
  BUILT_IN_RUNTIMES,
  ModelSpecContext,
  modelOpsPermissions,
} from '@model-ops/plugin-model-ops-common';
import {
  modelOpsAlertChannelsExtensionPoint,
  modelOpsMetricSourcesExtensionPoint,
  modelOpsRuntimesExtensionPoint,
} from '@model-ops/plugin-model-ops-node';
import path from 'node:path';
import { DatabaseModelStore } from './database/DatabaseModelStore';
import { ArtifactFetcher } from './deployments/ArtifactFetcher';
import { DemoBootstrap } from './deployments/DemoBootstrap';
import { ProductionReconciler } from './deployments/ProductionReconciler';
import { DeploymentsService } from './deployments/DeploymentsService';
import { DEFAULT_CANARY_OPTIONS, PipelineWorker } from './deployments/PipelineWorker';
import { readPipelineOptions } from './deployments/pipelineConfig';
import { RunStore } from './deployments/RunStore';
import { EnvironmentsService } from './environments/EnvironmentsService';
import { SwitchStore } from './environments/SwitchStore';
import { HealthLimits, TrafficSwitcher } from './environments/TrafficSwitcher';
import { createKubernetesRuntime } from './runtimes/kubernetes';
import { createLocalRuntime } from './runtimes/local';
import { ExtensionRegistry } from './service/ExtensionRegistry';
import { ModelsService } from './service/ModelsService';
import { readModelOpsConfig } from './service/readModelOpsConfig';
import { createRouter } from './service/router';
import { AlertStore } from './monitoring/AlertStore';
import { MetricsStore } from './monitoring/MetricsStore';
import { MonitoringService } from './monitoring/MonitoringService';
import { RuleEvaluator } from './monitoring/RuleEvaluator';
import { createMetricSources } from './sources';
import { readSchedulerServiceTaskScheduleDefinitionFromConfig } from '@backstage/backend-plugin-api';

/**
 * The Model Ops backend plugin.
 *
 * @public
 */
export const modelOpsPlugin = createBackendPlugin({
  pluginId: 'model-ops',
  register(env) {
    const extensions = new ExtensionRegistry();
    env.registerExtensionPoint(modelOpsRuntimesExtensionPoint, {
      addRuntime: (...runtimes) => extensions.addRuntimes(runtimes.flat()),
    });
    env.registerExtensionPoint(modelOpsMetricSourcesExtensionPoint, {
      addMetricSource: (...sources) => extensions.addMetricSources(sources.flat()),
    });
    env.registerExtensionPoint(modelOpsAlertChannelsExtensionPoint, {
      addAlertChannel: (...channels) => extensions.addAlertChannels(channels.flat()),
    });

    env.registerInit({
      deps: {
        config: coreServices.rootConfig,
        logger: coreServices.logger,
        database: coreServices.database,
        httpRouter: coreServices.httpRouter,
        httpAuth: coreServices.httpAuth,
        auth: coreServices.auth,
        permissions: coreServices.permissions,
        permissionsRegistry: coreServices.permissionsRegistry,
        auditor: coreServices.auditor,
        scheduler: coreServices.scheduler,
        lifecycle: coreServices.lifecycle,
        catalog: catalogServiceRef,
      },
      async init({
        config,
        logger,
        database,
        httpRouter,
        httpAuth,
        auth,
        permissions,
        permissionsRegistry,
        auditor,
        scheduler,
        lifecycle,
        catalog,
      }) {
        const options = readModelOpsConfig(config);
        const pipelineOptions = await readPipelineOptions(config);
        permissionsRegistry.addPermissions(modelOpsPermissions);

        // The built-in local runtime; a module may add others (or replace none: ids are unique).
        const local = createLocalRuntime({ config, logger });
        if (!extensions.getRuntime(local.id)) {
          extensions.addRuntimes([local]);
        }
        lifecycle.addShutdownHook(() => local.shutdown());
        // The kubernetes runtime, when Backstage's kubernetes config names a cluster.
        const kubernetes = createKubernetesRuntime({ config, logger });
        if (kubernetes && !extensions.getRuntime(kubernetes.id)) {
          extensions.addRuntimes([kubernetes]);
        }

        const specContext = (): ModelSpecContext => ({
          runtimes: [...new Set([...BUILT_IN_RUNTIMES, ...extensions.runtimeIds()])],
          metricSources: [
            ...new Set([...BUILT_IN_METRIC_SOURCES, ...extensions.metricSourceIds()]),
          ],
          ruleSets: [...options.ruleSets.keys()],
          alertRoutes: [...options.alertRoutes.keys()],
          costModels: [...options.costModels.keys()],
        });

        const store = await DatabaseModelStore.create({ database });
        const db = await database.getClient();
        const runs = new RunStore(db);
        const switches = new SwitchStore(db);
        const switcher = new TrafficSwitcher({
          switches,
          logger: logger.child({ task: 'model-ops-environments' }),
          options: {
            probes: config.getOptionalNumber('modelOps.environments.probes') ?? 10,
            healthWatchSeconds:
              config.getOptionalNumber('modelOps.environments.healthWatchSeconds') ?? 10,
            watchIntervalMs:
              config.getOptionalNumber('modelOps.environments.watchIntervalMs') ?? 50,
            warmSeconds: config.getOptionalNumber('modelOps.environments.warmSeconds') ?? 300,
            inputs: pipelineOptions.verificationInputs,
          },
        });
        // The watch after a switch holds traffic to the warning levels of the model's rules.
        const healthLimits = (rules: string): HealthLimits => {
          const set = options.ruleSets.get(rules) ?? options.ruleSets.get('default')!;
          const level = (metric: string, fallback: number) =>
            set.rules.find(r => r.metric === metric && r.operator === '>')?.warning ?? fallback;
          return {
            maxErrorRatePct: level('errorRate', 5),
            maxP95Ms: level('responseTimeP95', 5000),
          };
        };
        // Built below, once the metric sources exist; the model list reads its alert counts.
        let monitoring: MonitoringService | undefined = undefined;
        const models = new ModelsService({
          catalog,
          store,
          logger,
          specContext,
          openAlertCounts: ids =>
            monitoring ? monitoring.openAlertCounts(ids) : Promise.resolve(new Map()),
          productionEndpoint: async spec => {
            const runtime = extensions.getRuntime(spec.runtime);
            const description = await runtime?.describe({
              model: { modelId: spec.modelId, entityRef: spec.entityRef },
            });
            return description?.productionEndpoint;
          },
        });

        const fetcher = new ArtifactFetcher({
          cacheDir: pipelineOptions.cacheDir,
          fileRoot: pipelineOptions.fileRoot,
        });
        const worker = new PipelineWorker({
          runs,
          models: store,
          fetcher,
          options: pipelineOptions,
          logger: logger.child({ task: 'model-ops-pipeline' }),
          getRuntime: id => extensions.getRuntime(id),
          switcher,
          healthLimits,
          canary: {
            steps: config.getOptionalConfigArray('modelOps.canary.steps')
              ? (config.getOptional('modelOps.canary.steps') as number[])
              : DEFAULT_CANARY_OPTIONS.steps,
            stepSeconds:
              config.getOptionalNumber('modelOps.canary.stepSeconds') ??
              DEFAULT_CANARY_OPTIONS.stepSeconds,
            analysisIntervalMs:
              config.getOptionalNumber('modelOps.canary.analysisIntervalMs') ??
              DEFAULT_CANARY_OPTIONS.analysisIntervalMs,
            maxLatencyRatio:
              config.getOptionalNumber('modelOps.canary.maxLatencyRatio') ??
              DEFAULT_CANARY_OPTIONS.maxLatencyRatio,
            maxErrorRateIncreasePct:
              config.getOptionalNumber('modelOps.canary.maxErrorRateIncreasePct') ??
              DEFAULT_CANARY_OPTIONS.maxErrorRateIncreasePct,
          },
        });

        const artifactIndex = config.getOptionalString('modelOps.artifacts.index');
        const deployments = new DeploymentsService({
          catalog,
          permissions,
          auditor,
          runs,
          models: store,
          specContext,
          artifactIndexFile: artifactIndex
            ? path.resolve(pipelineOptions.fileRoot, artifactIndex)
            : undefined,
          onRunCreated: () => void worker.poll(),
          getRuntime: id => extensions.getRuntime(id),
        });

        // Monitoring: the built-in metric sources, storage, rules and the collection task.
        const metricsStore = new MetricsStore(db);
        const alertStore = new AlertStore(db);
        for (const source of createMetricSources({
          config,
          logger: logger.child({ task: 'model-ops-metrics' }),
          costPerRequest: ({ modelId, window, requests }) => {
            const costModel =
              options.costModels.get(monitoring?.costModelFor(modelId) ?? 'default') ??
              options.costModels.get('default')!;
            const hours = (window.to.getTime() - window.from.getTime()) / 3_600_000;
            return requests > 0
              ? (costModel.instanceHourUsd * costModel.instances * hours) / requests
              : undefined;
          },
        })) {
          if (!extensions.getMetricSource(source.id)) extensions.addMetricSources([source]);
        }
        const schedule = config.has('modelOps.monitoring.schedule')
          ? readSchedulerServiceTaskScheduleDefinitionFromConfig(
              config.getConfig('modelOps.monitoring.schedule'),
            )
          : { frequency: { seconds: 60 }, timeout: { minutes: 5 } };
        const frequency = schedule.frequency as { seconds?: number; minutes?: number };
        monitoring = new MonitoringService({
          catalog,
          auth,
          logger: logger.child({ task: 'model-ops-monitoring' }),
          store,
          metrics: metricsStore,
          alerts: alertStore,
          evaluator: new RuleEvaluator(),
          specContext,
          ruleSets: options.ruleSets,
          getMetricSource: id => extensions.getMetricSource(id),
          intervalSeconds: frequency.seconds ?? (frequency.minutes ? frequency.minutes * 60 : 60),
        });
        const monitoringService = monitoring;
        await scheduler.scheduleTask({
          id: 'model-ops-monitoring',
          ...schedule,
          scope: 'global',
          fn: async () => {
            await monitoringService.tick();
          },
        });
        await scheduler.scheduleTask({
          id: 'model-ops-metrics-retention',
          frequency: { minutes: 30 },
          timeout: { minutes: 10 },
          initialDelay: { minutes: 1 },
          scope: 'global',
          fn: async () => {
            const hour = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000);
            await metricsStore.rollupHour(hour);
            await metricsStore.prune({
              samplesOlderThan: new Date(
                Date.now() - (config.getOptionalNumber('modelOps.monitoring.sampleRetentionDays') ?? 7) * 86_400_000,
              ),
              rollupsOlderThan: new Date(
                Date.now() - (config.getOptionalNumber('modelOps.monitoring.rollupRetentionDays') ?? 90) * 86_400_000,
              ),
            });
          },
        });

        const environments = new EnvironmentsService({
          catalog,
          auth,
          permissions,
          auditor,
          logger,
          store,
          switches,
          runs,
          switcher,
          deployments,
          specContext,
          getRuntime: id => extensions.getRuntime(id),
          healthLimits,
        });

        worker.start();
        lifecycle.addShutdownHook(() => worker.stop());

        // What production should run is brought back when the runtime has lost it (after a
        // restart that stopped the model processes, for example).
        const reconciler = new ProductionReconciler({
          store,
          runs,
          fetcher,
          getRuntime: id => extensions.getRuntime(id),
          logger: logger.child({ task: 'model-ops-reconcile' }),
        });
        await scheduler.scheduleTask({
          id: 'model-ops-production-reconcile',
          frequency: { seconds: 30 },
          timeout: { minutes: 5 },
          initialDelay: { seconds: 2 },
          scope: 'local',
          fn: async () => {
            await reconciler.run();
          },
        });

        await scheduler.scheduleTask({
          id: 'model-ops-environments-cooldown',
          frequency: { seconds: 15 },
          timeout: { minutes: 2 },
          initialDelay: { seconds: 15 },
          scope: 'global',
          fn: async () => {
            await environments.stopExpiredWarmColors();
          },
        });

        if (config.getOptionalBoolean('modelOps.demo.bootstrap')) {
          const bootstrap = new DemoBootstrap({
            catalog,
            auth,
            deployments,
            runs,
            store,
            specContext,
            logger: logger.child({ task: 'model-ops-demo-bootstrap' }),
            version: config.getOptionalString('modelOps.demo.version') ?? '1.0.0',
          });
          await scheduler.scheduleTask({
            id: 'model-ops-demo-bootstrap',
            frequency: { seconds: 15 },
            timeout: { minutes: 2 },
            initialDelay: { seconds: 5 },
            scope: 'global',
            fn: () => bootstrap.run(),
          });
        }

        const router = await createRouter({
          httpAuth,
          models,
          deployments,
          environments,
          monitoring: monitoringService,
        });
        router.use(MiddlewareFactory.create({ config, logger }).error());
        httpRouter.use(router);
      },
    });
  },
});
