import {
  createApiFactory,
  createComponentExtension,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { ModelOpsClient, modelOpsApiRef } from './api';
import {
  alertsRouteRef,
  capacityRouteRef,
  deploymentsRouteRef,
  rootRouteRef,
} from './routes';

/**
 * The Model Ops frontend plugin, for apps on the legacy frontend system.
 *
 * @public
 */
export const modelOpsPlugin = createPlugin({
  id: 'model-ops',
  apis: [
    createApiFactory({
      api: modelOpsApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new ModelOpsClient({ discoveryApi, fetchApi }),
    }),
  ],
  routes: {
    root: rootRouteRef,
  },
});

/**
 * The portal-wide Model Ops page.
 *
 * @public
 */
export const ModelOpsPage: (props: { noHeader?: boolean }) => JSX.Element =
  modelOpsPlugin.provide(
    createRoutableExtension({
      name: 'ModelOpsPage',
      component: () =>
        import('./components/ModelOpsPage').then(m => m.ModelOpsPage),
      mountPoint: rootRouteRef,
    }),
  );

/**
 * The Deployments tab of a model's entity page.
 *
 * @public
 */
export const EntityModelOpsDeploymentsContent: () => JSX.Element =
  modelOpsPlugin.provide(
    createRoutableExtension({
      name: 'EntityModelOpsDeploymentsContent',
      component: () =>
        import('./components/DeploymentsContent').then(
          m => m.DeploymentsContent,
        ),
      mountPoint: deploymentsRouteRef,
    }),
  );

/**
 * The Alerts tab of a model's entity page.
 *
 * @public
 */
export const EntityModelOpsAlertsContent: () => JSX.Element =
  modelOpsPlugin.provide(
    createRoutableExtension({
      name: 'EntityModelOpsAlertsContent',
      component: () =>
        import('./components/AlertsContent').then(m => m.AlertsContent),
      mountPoint: alertsRouteRef,
    }),
  );

/**
 * The Capacity tab of a model's entity page.
 *
 * @public
 */
export const EntityModelOpsCapacityContent: () => JSX.Element =
  modelOpsPlugin.provide(
    createRoutableExtension({
      name: 'EntityModelOpsCapacityContent',
      component: () =>
        import('./components/CapacityContent').then(m => m.CapacityContent),
      mountPoint: capacityRouteRef,
    }),
  );

/**
 * A card with a model's status for its overview tab.
 *
 * @public
 */
export const EntityModelOpsStatusCard: () => JSX.Element =
  modelOpsPlugin.provide(
    createComponentExtension({
      name: 'EntityModelOpsStatusCard',
      component: {
        lazy: () => import('./components/StatusCard').then(m => m.StatusCard),
      },
    }),
  );
