import { RESOURCE_TYPE_CATALOG_ENTITY } from '@backstage/plugin-catalog-common/alpha';
import { isResourcePermission } from '@backstage/plugin-permission-common';
import {
  modelOpsAlertUpdatePermission,
  modelOpsDeploymentCreatePermission,
  modelOpsDeploymentRollbackPermission,
  modelOpsEnvironmentSwitchPermission,
  modelOpsPermissions,
} from './permissions';

describe('permissions', () => {
  it('lists the four permissions, each once', () => {
    expect(modelOpsPermissions).toHaveLength(4);
    expect(modelOpsPermissions).toEqual([
      modelOpsDeploymentCreatePermission,
      modelOpsDeploymentRollbackPermission,
      modelOpsEnvironmentSwitchPermission,
      modelOpsAlertUpdatePermission,
    ]);
    expect(new Set(modelOpsPermissions.map(p => p.name)).size).toBe(4);
  });

  it.each(modelOpsPermissions.map(p => [p.name, p]))(
    '%s is named model-ops.<noun>.<verb> and scoped to catalog entities',
    (_name, permission) => {
      expect(permission.name).toMatch(/^model-ops\.[a-z]+\.[a-z]+$/);
      expect(permission.type).toBe('resource');
      expect(
        isResourcePermission(permission, RESOURCE_TYPE_CATALOG_ENTITY),
      ).toBe(true);
      expect(RESOURCE_TYPE_CATALOG_ENTITY).toBe('catalog-entity');
      expect(permission.resourceType).toBe('catalog-entity');
    },
  );

  it('has the expected names and actions', () => {
    expect(modelOpsPermissions.map(p => [p.name, p.attributes.action])).toEqual(
      [
        ['model-ops.deployment.create', 'create'],
        ['model-ops.deployment.rollback', 'update'],
        ['model-ops.environment.switch', 'update'],
        ['model-ops.alert.update', 'update'],
      ],
    );
  });
});
