/**
 * The Model Ops frontend plugin: Deployments, Alerts and Capacity tabs for models in the catalog,
 * and a portal-wide Model Ops page.
 *
 * @packageDocumentation
 */

export {
  modelOpsPlugin,
  ModelOpsPage,
  EntityModelOpsDeploymentsContent,
  EntityModelOpsAlertsContent,
  EntityModelOpsCapacityContent,
  EntityModelOpsStatusCard,
} from './plugin';
export { isModelOpsAvailable } from './conditions';
export { modelOpsApiRef, ModelOpsClient } from './api';
export type { ModelOpsApi } from './api';
