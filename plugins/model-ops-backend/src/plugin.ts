import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { MiddlewareFactory } from '@backstage/backend-defaults/rootHttpRouter';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { notificationService } from '@backstage/plugin-notifications-node';
import { modelOpsPermissions } from '@model-ops/plugin-model-ops-common';
import {
  createCapacity,
  createCostPerRequest,
  createDemoHistory,
} from './capacity';
import { readModelOpsConfig } from './config/config';
import { createDeployments } from './deployments';
import {
  DatabaseSwitchStore,
  createEnvironments,
  createTrafficSwitching,
} from './environments';
import { createActionGuard } from './lib/guard';
import { startCapabilities } from './lib/tasks';
import {
  createModelIndex,
  createModelStore,
  createModels,
  DatabaseClaimStore,
} from './models';
import { createMonitoring, DatabaseAlertStore } from './monitoring';
import {
  builtInAlertChannelTypes,
  createAlertChannels,
  createAlerting,
} from './alerting';
import { createKubernetesRuntime } from './runtimes/kubernetes';
import { createLocalRuntime } from './runtimes/local';
import { ExtensionRegistry } from './service/ExtensionRegistry';
import { createRouter } from './service/router';
import { createMetricSources } from './sources';

/**
 * The Model Ops backend plugin.
 *
 * @public
 */
export const modelOpsPlugin = createBackendPlugin({
  pluginId: 'model-ops',
  register(env) {
    const extensions = new ExtensionRegistry();
    extensions.registerExtensionPoints(env);

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
        urlReader: coreServices.urlReader,
        catalog: catalogServiceRef,
        notifications: notificationService,
      },
      async init(deps) {
        const {
          config,
          logger,
          database,
          scheduler,
          lifecycle,
          catalog,
          auth,
        } = deps;
        const options = await readModelOpsConfig(config, { logger });
        deps.permissionsRegistry.addPermissions(modelOpsPermissions);

        // Built-in runtimes and sources, unless a module added one with the same id.
        const local = createLocalRuntime({ settings: options.local, logger });
        extensions.addDefaultRuntimes([local]);
        lifecycle.addShutdownHook(() => local.shutdown());
        const kubernetes = createKubernetesRuntime({
          settings: options.kubernetes,
          logger,
        });
        if (kubernetes) extensions.addDefaultRuntimes([kubernetes]);

        const store = await createModelStore({ database });
        const knex = await database.getClient();
        const guard = createActionGuard({
          permissions: deps.permissions,
          auditor: deps.auditor,
          allowedServicePrincipals:
            options.permissions.allowedServicePrincipals,
        });
        const index = createModelIndex({
          catalog,
          auth,
          logger: logger.child({ task: 'model-ops-model-index' }),
          options: options.models,
          claims: new DatabaseClaimStore(knex),
          extensions,
          names: {
            ruleSets: [...options.ruleSets.keys()],
            alertRoutes: [...options.alertRoutes.keys()],
            costModels: [...options.costModels.keys()],
          },
        });
        const models = index.service;

        extensions.addDefaultMetricSources(
          createMetricSources({
            settings: options.metrics,
            logger: logger.child({ task: 'model-ops-metrics' }),
            costPerRequest: createCostPerRequest({
              costModels: options.costModels,
              costModelOf: id => models.peek(id)?.spec?.costModel,
            }),
          }),
        );
        // Alert channels: the built-in types, unless a module added one of the same type.
        extensions.addDefaultAlertChannelTypes(
          builtInAlertChannelTypes({
            notifications: deps.notifications,
            baseUrl: options.baseUrl,
          }),
        );
        const channels = createAlertChannels({
          config,
          logger: logger.child({ task: 'model-ops-alerts' }),
          getType: type => extensions.getAlertChannelType(type),
          types: () => extensions.alertChannelTypeIds(),
          added: extensions
            .alertChannelIds()
            .map(id => extensions.getAlertChannel(id)!),
        });
        const alertStore = DatabaseAlertStore.create({ knex });
        const alerting = createAlerting({
          knex,
          models,
          store,
          alerts: alertStore,
          guard,
          routes: options.alertRoutes,
          channels,
          logger: logger.child({ task: 'model-ops-alerts' }),
          options: options.delivery,
          alertmanager: options.alertmanager,
          baseUrl: options.baseUrl,
          maintenanceWindows: options.maintenanceWindows,
          changeWindowMs: options.changeWindowMs,
        });
        const monitoring = createMonitoring({
          knex,
          alerts: alertStore,
          planner: alerting.planner,
          models,
          store,
          logger: logger.child({ task: 'model-ops-monitoring' }),
          ruleSets: options.ruleSets,
          getMetricSource: id => extensions.getMetricSource(id),
          options: options.monitoring,
        });

        const getRuntime = (id: string) => extensions.getRuntime(id);
        const switching = createTrafficSwitching({
          knex,
          logger: logger.child({ task: 'model-ops-environments' }),
          options: {
            ...options.environments,
            inputs: options.pipeline.verificationInputs,
          },
          ruleSets: options.ruleSets,
        });
        const deployments = createDeployments({
          knex,
          models,
          store,
          guard,
          auth,
          getRuntime,
          urlReader: deps.urlReader,
          switching: switching.service,
          logger,
          options: {
            pipeline: options.pipeline,
            canary: options.canary,
            artifactIndexFile: options.artifactIndexFile,
            reconcileSchedule: options.reconcileSchedule,
            demo: options.demo,
          },
        });
        const environments = createEnvironments({
          knex,
          models,
          store,
          guard,
          getRuntime,
          switching: switching.service,
          deployments: deployments.service,
          logger,
          options: {
            cooldownSchedule: options.environments.cooldownSchedule,
            reconcileSchedule: options.environments.reconcileSchedule,
            leaseSeconds: options.environments.leaseSeconds,
          },
        });
        // With the embedded demo defaults, 30 days of seeded history for the demo models.
        const demoHistory = createDemoHistory({
          knex,
          models,
          store,
          logger: logger.child({ task: 'model-ops-demo-history' }),
          costModels: options.costModels,
          options: {
            enabled: options.demo.history,
            schedule: options.demo.historySchedule,
            sampleRetentionDays: options.monitoring.sampleRetentionDays,
            rollupRetentionDays: options.monitoring.rollupRetentionDays,
          },
        });

        const capacity = createCapacity({
          knex,
          models,
          store,
          switches: DatabaseSwitchStore.create({ knex }),
          seeded: demoHistory.service,
          costModels: options.costModels,
          ruleSets: options.ruleSets,
          options: options.capacity,
          summarySchedule: options.capacitySummarySchedule,
          logger: logger.child({ task: 'model-ops-capacity' }),
        });

        const catalogModels = createModels({
          index: models,
          store,
          logger,
          alerts: monitoring.service,
          capacity: capacity.service,
          getRuntime,
          permissions: deps.permissions,
        });

        await startCapabilities({ scheduler, lifecycle, logger }, [
          index,
          monitoring,
          alerting,
          switching,
          deployments,
          environments,
          catalogModels,
          demoHistory,
          capacity,
        ]);

        const router = await createRouter({
          httpAuth: deps.httpAuth,
          auditor: deps.auditor,
          models: catalogModels.service,
          deployments: deployments.service,
          environments: environments.service,
          monitoring: monitoring.service,
          alerting: alerting.service,
          capacity: capacity.service,
        });
        router.use(MiddlewareFactory.create({ config, logger }).error());
        deps.httpRouter.use(router);
        // The router checks credentials itself, first, so that refused mutations are audited.
        deps.httpRouter.addAuthPolicy({ path: '/', allow: 'unauthenticated' });
      },
    });
  },
});
