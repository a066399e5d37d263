import {
  ApiBlueprint,
  PageBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/frontend-plugin-api';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import { convertLegacyRouteRef } from '@backstage/core-compat-api';
import TimelineIcon from '@material-ui/icons/Timeline';
import { ModelOpsClient, modelOpsApiRef } from './api';
import { isModelOpsAvailable } from './conditions';
import { rootRouteRef } from './routes';

/** @alpha */
export const modelOpsApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: modelOpsApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new ModelOpsClient({ discoveryApi, fetchApi }),
    }),
});

/** @alpha */
export const modelOpsPage = PageBlueprint.make({
  params: {
    path: '/model-ops',
    title: 'Model Ops',
    icon: <TimelineIcon />,
    routeRef: convertLegacyRouteRef(rootRouteRef),
    loader: () =>
      import('./components/ModelOpsPage').then(m => (
        <m.ModelOpsPage noHeader />
      )),
  },
});

/** @alpha */
export const modelOpsDeploymentsContent = EntityContentBlueprint.make({
  name: 'deployments',
  params: {
    path: 'deployments',
    title: 'Deployments',
    filter: isModelOpsAvailable,
    loader: () =>
      import('./components/DeploymentsContent').then(m => (
        <m.DeploymentsContent />
      )),
  },
});

/** @alpha */
export const modelOpsAlertsContent = EntityContentBlueprint.make({
  name: 'alerts',
  params: {
    path: 'alerts',
    title: 'Alerts',
    filter: isModelOpsAvailable,
    loader: () =>
      import('./components/AlertsContent').then(m => <m.AlertsContent />),
  },
});

/** @alpha */
export const modelOpsCapacityContent = EntityContentBlueprint.make({
  name: 'capacity',
  params: {
    path: 'capacity',
    title: 'Capacity',
    filter: isModelOpsAvailable,
    loader: () =>
      import('./components/CapacityContent').then(m => <m.CapacityContent />),
  },
});

/** @alpha */
export const modelOpsStatusCard = EntityCardBlueprint.make({
  name: 'status',
  params: {
    filter: isModelOpsAvailable,
    loader: () => import('./components/StatusCard').then(m => <m.StatusCard />),
  },
});

/**
 * The Model Ops frontend plugin for apps on the new frontend system.
 *
 * @alpha
 */
export default createFrontendPlugin({
  pluginId: 'model-ops',
  info: { packageJson: () => import('../package.json') },
  routes: {
    root: convertLegacyRouteRef(rootRouteRef),
  },
  extensions: [
    modelOpsApi,
    modelOpsPage,
    modelOpsDeploymentsContent,
    modelOpsAlertsContent,
    modelOpsCapacityContent,
    modelOpsStatusCard,
  ],
});
