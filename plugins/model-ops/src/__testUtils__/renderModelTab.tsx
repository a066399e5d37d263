import { ReactElement } from 'react';
import { SWRConfig } from 'swr';
import { Entity } from '@backstage/catalog-model';
import {
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import {
  TestApiProvider,
  mockApis,
  renderInTestApp,
} from '@backstage/test-utils';
import { ModelOpsApi, modelOpsApiRef } from '../api';
import { modelEntity } from './fixtures';

/**
 * Renders a tab for an entity with a given Model Ops API behind it. Calls the test does not
 * stub answer as an empty backend would; permissions are allowed unless `deny` is set.
 * Each render gets its own SWR cache: `usePermission` caches decisions in SWR's global
 * cache and would otherwise answer a deny test with an earlier test's allow.
 */
export function renderModelTab(
  element: ReactElement,
  api: Partial<ModelOpsApi>,
  options: { entity?: Entity; deny?: boolean } = {},
) {
  const fullApi: Partial<ModelOpsApi> = {
    listDeployments: jest.fn().mockResolvedValue({ items: [] }),
    listArtifacts: jest.fn().mockResolvedValue({ items: [] }),
    getEnvironments: jest.fn().mockResolvedValue({ slots: [], history: [] }),
    getStatus: jest
      .fn()
      .mockResolvedValue({ status: 'unknown', metrics: [], alerts: [] }),
    getMetrics: jest
      .fn()
      .mockResolvedValue({ from: '', to: '', stepSeconds: 60, series: [] }),
    listAlerts: jest.fn().mockResolvedValue({ items: [] }),
    listSilences: jest.fn().mockResolvedValue({ items: [] }),
    listIncidents: jest.fn().mockResolvedValue({ items: [] }),
    ...api,
  };
  return renderInTestApp(
    <TestApiProvider
      apis={[
        [modelOpsApiRef, fullApi],
        [
          permissionApiRef,
          mockApis.permission({
            authorize: options.deny
              ? AuthorizeResult.DENY
              : AuthorizeResult.ALLOW,
          }),
        ],
      ]}
    >
      <SWRConfig value={{ provider: () => new Map() }}>
        <EntityProvider entity={options.entity ?? modelEntity}>
          {element}
        </EntityProvider>
      </SWRConfig>
    </TestApiProvider>,
    // The declared-model header links the owner to its entity page.
    { mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef } },
  );
}
