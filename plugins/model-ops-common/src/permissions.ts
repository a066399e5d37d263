import { RESOURCE_TYPE_CATALOG_ENTITY } from '@backstage/plugin-catalog-common/alpha';
import { createPermission } from '@backstage/plugin-permission-common';

/**
 * Start a deployment run of a model. A resource permission on the model's catalog entity, so a
 * policy can scope it, for example to the entity's owners.
 *
 * @public
 */
export const modelOpsDeploymentCreatePermission = createPermission({
  name: 'model-ops.deployment.create',
  attributes: { action: 'create' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Roll a model back to an earlier version, or cancel its active run.
 *
 * @public
 */
export const modelOpsDeploymentRollbackPermission = createPermission({
  name: 'model-ops.deployment.rollback',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Switch a model's traffic between its blue and green environments, or roll a switch back.
 *
 * @public
 */
export const modelOpsEnvironmentSwitchPermission = createPermission({
  name: 'model-ops.environment.switch',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Acknowledge, resolve or silence a model's alerts.
 *
 * @public
 */
export const modelOpsAlertUpdatePermission = createPermission({
  name: 'model-ops.alert.update',
  attributes: { action: 'update' },
  resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
});

/**
 * Every permission of Model Ops.
 *
 * @public
 */
export const modelOpsPermissions = [
  modelOpsDeploymentCreatePermission,
  modelOpsDeploymentRollbackPermission,
  modelOpsEnvironmentSwitchPermission,
  modelOpsAlertUpdatePermission,
];
