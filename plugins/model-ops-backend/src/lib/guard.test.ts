/*
 * Who may mutate, decided in the one guard every mutating method goes through: users (the
 * policy decides on which entities), allowlisted services alone or acting for a user, and the
 * demo bootstrap for deployment-create only. Every refusal is an audited NotAllowedError, and
 * the policy is not even asked.
 */
import { AuditorService } from '@backstage/backend-plugin-api';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { NotAllowedError } from '@backstage/errors';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { modelOpsDeploymentCreatePermission } from '@model-ops/plugin-model-ops-common';
import { Caller, createActionGuard, principalOf } from './guard';

const ENTITY = 'component:default/sentiment-classifier';

describe('createActionGuard', () => {
  let audit: string[];
  let asked: number;

  function guard(allowedServicePrincipals?: string[]) {
    const auditor: AuditorService = {
      async createEvent(options) {
        return {
          success: async () => void audit.push(`${options.eventId}:success`),
          fail: async ({ error }) =>
            void audit.push(`${options.eventId}:fail:${error.name}`),
        };
      },
    };
    return createActionGuard({
      auditor,
      permissions: mockServices.permissions.mock({
        authorize: async requests => {
          asked++;
          return requests.map(() => ({ result: AuthorizeResult.ALLOW }));
        },
      }),
      allowedServicePrincipals,
    });
  }

  const attempt = (
    caller: Caller,
    allowlist?: string[],
    eventId = 'deployment-create',
  ) =>
    guard(allowlist).run(
      {
        eventId,
        permission: modelOpsDeploymentCreatePermission,
        entityRef: ENTITY,
      },
      caller,
      async () => ({ id: 'run-1' }),
    );

  beforeEach(() => {
    audit = [];
    asked = 0;
  });

  it('lets users through to the policy', async () => {
    await expect(
      attempt({ credentials: mockCredentials.user('user:default/guest') }),
    ).resolves.toEqual({ id: 'run-1' });
    expect(asked).toBe(1);
    expect(audit).toEqual(['deployment-create:success']);
  });

  it('refuses a service that is not allowlisted, audited, without asking the policy', async () => {
    await expect(
      attempt({ credentials: mockCredentials.service('plugin:other') }, [
        'plugin:scaffolder',
      ]),
    ).rejects.toThrow(
      new NotAllowedError(
        'Service plugin:other may not change anything here: it is not in modelOps.permissions.allowedServicePrincipals',
      ),
    );
    // Nothing is allowlisted unless config says so.
    await expect(
      attempt({ credentials: mockCredentials.service('plugin:scaffolder') }),
    ).rejects.toThrow(NotAllowedError);
    expect(asked).toBe(0);
    expect(audit).toEqual([
      'deployment-create:fail:NotAllowedError',
      'deployment-create:fail:NotAllowedError',
    ]);
  });

  it('accepts an allowlisted service, alone or acting for a user', async () => {
    await expect(
      attempt({ credentials: mockCredentials.service('plugin:scaffolder') }, [
        'plugin:scaffolder',
      ]),
    ).resolves.toEqual({ id: 'run-1' });
    await expect(
      attempt(
        {
          credentials: mockCredentials.user('user:default/guest', {
            actor: { subject: 'plugin:scaffolder' },
          }),
        },
        ['plugin:scaffolder'],
      ),
    ).resolves.toEqual({ id: 'run-1' });
    expect(audit).toEqual([
      'deployment-create:success',
      'deployment-create:success',
    ]);
  });

  it('refuses a service acting for a user unless it is allowlisted', async () => {
    await expect(
      attempt({
        credentials: mockCredentials.user('user:default/guest', {
          actor: { subject: 'plugin:other' },
        }),
      }),
    ).rejects.toThrow(
      /^plugin:other may not act on behalf of users here: it is not in modelOps\.permissions\.allowedServicePrincipals$/,
    );
    expect(audit).toEqual(['deployment-create:fail:NotAllowedError']);
  });

  it('refuses unauthenticated callers', async () => {
    await expect(
      attempt({ credentials: mockCredentials.none() }),
    ).rejects.toThrow(
      'Only signed-in users and allowlisted services may change anything here',
    );
  });

  it('lets the demo bootstrap start runs, and do nothing else', async () => {
    const bootstrap: Caller = {
      credentials: mockCredentials.service('plugin:model-ops'),
      builtIn: 'demo-bootstrap',
    };
    await expect(attempt(bootstrap)).resolves.toEqual({ id: 'run-1' });
    await expect(attempt(bootstrap, [], 'deployment-rollback')).rejects.toThrow(
      NotAllowedError,
    );
    await expect(attempt(bootstrap, [], 'environment-switch')).rejects.toThrow(
      NotAllowedError,
    );
  });
});

describe('principalOf', () => {
  it('names the user or the service', () => {
    expect(principalOf(mockCredentials.user('user:default/guest'))).toBe(
      'user:default/guest',
    );
    expect(principalOf(mockCredentials.service('plugin:scaffolder'))).toBe(
      'plugin:scaffolder',
    );
  });
});
