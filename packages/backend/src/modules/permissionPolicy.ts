import {
  UserInfoService,
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import {
  catalogConditions,
  createCatalogConditionalDecision,
} from '@backstage/plugin-catalog-backend/alpha';
import {
  AuthorizeResult,
  PolicyDecision,
  isPermission,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import { modelOpsPermissions } from '@model-ops/plugin-model-ops-common';

/**
 * `owners` (the default): anyone signed in may read, and a model's deployments, switches and
 * alerts may only be changed by the owners of its catalog entity. `allow-all`: everything is
 * allowed, for local development only.
 */
export type PortalPolicyMode = 'owners' | 'allow-all';

export class PortalPermissionPolicy implements PermissionPolicy {
  constructor(
    private readonly mode: PortalPolicyMode,
    private readonly userInfo: UserInfoService,
  ) {}

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    if (this.mode === 'allow-all') {
      return { result: AuthorizeResult.ALLOW };
    }
    const modelOpsPermission = modelOpsPermissions.find(p =>
      isPermission(request.permission, p),
    );
    if (modelOpsPermission) {
      if (!user) {
        return { result: AuthorizeResult.DENY };
      }
      const { ownershipEntityRefs } = await this.userInfo.getUserInfo(
        user.credentials,
      );
      return createCatalogConditionalDecision(
        modelOpsPermission,
        catalogConditions.isEntityOwner({ claims: ownershipEntityRefs }),
      );
    }
    return { result: AuthorizeResult.ALLOW };
  }
}

/**
 * Installs the portal's permission policy, chosen by `portal.permissionPolicy`.
 */
export default createBackendModule({
  pluginId: 'permission',
  moduleId: 'portal-policy',
  register(reg) {
    reg.registerInit({
      deps: {
        config: coreServices.rootConfig,
        userInfo: coreServices.userInfo,
        policy: policyExtensionPoint,
      },
      async init({ config, userInfo, policy }) {
        const mode =
          config.getOptionalString('portal.permissionPolicy') ?? 'owners';
        if (mode !== 'owners' && mode !== 'allow-all') {
          throw new Error(
            `Invalid portal.permissionPolicy "${mode}"; expected "owners" or "allow-all"`,
          );
        }
        policy.setPolicy(new PortalPermissionPolicy(mode, userInfo));
      },
    });
  },
});
