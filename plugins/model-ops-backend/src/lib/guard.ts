import {
  AuditorService,
  BackstageCredentials,
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
}

/**
 * The one way a mutating service method checks a permission on a model's entity and records
 * itself with the auditor.
 *
 * @internal
 */
export interface ActionGuard {
  /**
   * Runs `fn` as the audited event `eventId`: the caller must hold `permission` on
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
 * Creates the {@link ActionGuard} on Backstage's permissions and auditor services.
 *
 * @internal
 */
export function createActionGuard(deps: {
  permissions: PermissionsService;
  auditor: AuditorService;
}): ActionGuard {
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
    async run(action, caller, fn) {
      const event = await deps.auditor.createEvent({
        eventId: action.eventId,
        severityLevel: 'medium',
        request: caller.request,
        meta: { entityRef: action.entityRef, ...action.meta },
      });
      try {
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
