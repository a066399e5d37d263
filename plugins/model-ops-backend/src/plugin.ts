import {
  coreServices,
  createBackendPlugin,
} from '@backstage/backend-plugin-api';
import { MiddlewareFactory } from '@backstage/backend-defaults/rootHttpRouter';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import {
  BUILT_IN_METRIC_SOURCES,
  BUILT_IN_RUNTIMES,
  modelOpsPermissions,
} from '@model-ops/plugin-model-ops-common';
import {
  modelOpsAlertChannelsExtensionPoint,
  modelOpsMetricSourcesExtensionPoint,
  modelOpsRuntimesExtensionPoint,
} from '@model-ops/plugin-model-ops-node';
import { DatabaseModelStore } from './database/DatabaseModelStore';
import { ModelsService } from './service/ModelsService';
import { readModelOpsConfig } from './service/readModelOpsConfig';
import { createRouter } from './service/router';
import { ExtensionRegistry } from './service/ExtensionRegistry';

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
        permissionsRegistry: coreServices.permissionsRegistry,
        catalog: catalogServiceRef,
      },
      async init({
        config,
        logger,
        database,
        httpRouter,
        httpAuth,
        permissionsRegistry,
        catalog,
      }) {
        const options = readModelOpsConfig(config);
        permissionsRegistry.addPermissions(modelOpsPermissions);

        const store = await DatabaseModelStore.create({ database });
        const models = new ModelsService({
          catalog,
          store,
          logger,
          specContext: () => ({
            runtimes: [...BUILT_IN_RUNTIMES, ...extensions.runtimeIds()],
            metricSources: [
              ...BUILT_IN_METRIC_SOURCES,
              ...extensions.metricSourceIds(),
            ],
            ruleSets: [...options.ruleSets.keys()],
            alertRoutes: [...options.alertRoutes.keys()],
            costModels: [...options.costModels.keys()],
          }),
        });

        const router = await createRouter({ httpAuth, models });
        router.use(MiddlewareFactory.create({ config, logger }).error());
        httpRouter.use(router);
      },
    });
  },
});
