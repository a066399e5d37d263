import { createRouteRef } from '@backstage/core-plugin-api';

export const rootRouteRef = createRouteRef({ id: 'model-ops' });
export const deploymentsRouteRef = createRouteRef({
  id: 'model-ops:deployments',
});
export const alertsRouteRef = createRouteRef({ id: 'model-ops:alerts' });
export const capacityRouteRef = createRouteRef({ id: 'model-ops:capacity' });
