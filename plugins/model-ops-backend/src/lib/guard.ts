import {
  AuditorService,
  BackstageCredentials,
  BackstageServicePrincipal,
  BackstageUserPrincipal,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import type { Request } from 'express';

/**
 * Who is asking, and the HTTP request for the audit log.
 *
 * @internal
 */
export interface Caller {
  credentials: BackstageCredentials;
  request?: Request;
  /**
   * Set only by the demo bootstrap, which starts runs with the plugin's own service
   * credentials: the one built-in caller that is neither a user nor an allowlisted service, and
   * only for `deployment-create`. Never set from an HTTP request.
   */
  builtIn?: 'demo-bootstrap';
}

/**
 * The one way a mutating service method checks a permission on a model's entity and records
 * itself with the auditor.
 *
 * @internal
 */
export interface ActionGuard {
  /**
   * Runs `fn` as the audited event `eventId`: the caller must be a user, an allowlisted
   * service (alone or acting for a user) or the demo bootstrap, and must hold `permission` on
   * `entityRef` (a NotAllowedError otherwise, audited as a failure). The event's success meta
   * carries the result's `id` when it has one.
   */
  run<T>(
    action: {
      eventId: string;
      permission: ResourcePermission<'catalog-entity'>;
      entityRef: string;
      meta?: Record<string, string | number | boolean | null>;
    },
    caller: Caller,
    fn: () => Promise<T>,
  ): Promise<T>;
  /**
   * Throws NotAllowedError (audited as `eventId` failing) unless the caller is one who may
   * mutate at all: for a route that learns the entities it acts on only from its body.
   */
  assertMayMutate(eventId: string, caller: Caller): Promise<void>;
  /** Throws NotAllowedError unless the caller holds the permission on the entity. */
  authorize(
    permission: ResourcePermission<'catalog-entity'>,
    entityRef: string,
    credentials: BackstageCredentials,
  ): Promise<void>;
}

/**
 * The user (or service) a credential stands for, as recorded on runs and switches.
 *
 * @internal
 */
export function principalOf(
  credentials: BackstageCredentials,
): string | undefined {
  const principal = credentials.principal as {
    userEntityRef?: string;
    subject?: string;
  };
  return principal.userEntityRef ?? principal.subject;
}

/**
 * Why a caller may not mutate anything, or undefined when it may: users may (their permissions
 * decide the rest), services only when allowlisted, both alone and acting on a user's behalf.
 * Backstage's permission framework allows every service principal, so this is the only place
 * a service is told no.
 */
function principalRefusal(
  caller: Caller,
  eventId: string,
  allowedServicePrincipals: ReadonlySet<string>,
): string | undefined {
  const principal = caller.credentials.principal as
    | BackstageUserPrincipal
    | BackstageServicePrincipal
    | { type: string };
  if (principal.type === 'user') {
    const { actor } = principal as BackstageUserPrincipal;
    if (!actor || allowedServicePrincipals.has(actor.subject)) return undefined;
    return `${actor.subject} may not act on behalf of users here: it is not in modelOps.permissions.allowedServicePrincipals`;
  }
  if (principal.type === 'service') {
    const { subject } = principal as BackstageServicePrincipal;
    if (allowedServicePrincipals.has(subject)) return undefined;
    if (
      caller.builtIn === 'demo-bootstrap' &&
      eventId === 'deployment-create'
    ) {
      return undefined;
    }
    return `Service ${subject} may not change anything here: it is not in modelOps.permissions.allowedServicePrincipals`;
  }
  return 'Only signed-in users and allowlisted services may change anything here';
}

/**
 * Creates the {@link ActionGuard} on Backstage's permissions and auditor services.
 *
 * @internal
 */
export function createActionGuard(deps: {
  permissions: PermissionsService;
  auditor: AuditorService;
  /**
   * Subjects of service principals that may mutate (`modelOps.permissions.allowedServicePrincipals`),
   * e.g. `plugin:scaffolder`; none when absent.
   */
  allowedServicePrincipals?: readonly string[];
}): ActionGuard {
  const allowedServicePrincipals = new Set(deps.allowedServicePrincipals ?? []);
  const authorize: ActionGuard['authorize'] = async (
    permission,
    entityRef,
    credentials,
  ) => {
    const [decision] = await deps.permissions.authorize(
      [{ permission, resourceRef: entityRef }],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(
        `You are not allowed to ${permission.name} on ${entityRef}`,
      );
    }
  };
  return {
    authorize,
    async assertMayMutate(eventId, caller) {
      const refusal = principalRefusal(
        caller,
        eventId,
        allowedServicePrincipals,
      );
      if (!refusal) return;
      const error = new NotAllowedError(refusal);
      const event = await deps.auditor.createEvent({
        eventId,
        severityLevel: 'medium',
        request: caller.request,
      });
      await event.fail({ error });
      throw error;
    },
    async run(action, caller, fn) {
      const event = await deps.auditor.createEvent({
        eventId: action.eventId,
        severityLevel: 'medium',
        request: caller.request,
        meta: { entityRef: action.entityRef, ...action.meta },
      });
      try {
        const refusal = principalRefusal(
          caller,
          action.eventId,
          allowedServicePrincipals,
        );
        if (refusal) throw new NotAllowedError(refusal);
        await authorize(
          action.permission,
          action.entityRef,
          caller.credentials,
        );
        const result = await fn();
        const id = (result as { id?: unknown } | undefined)?.id;
        await event.success({ meta: typeof id === 'string' ? { id } : {} });
        return result;
      } catch (error) {
        await event.fail({ error: error as Error });
        throw error;
      }
    },
  };
}
