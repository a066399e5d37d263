import { ReactElement } from 'react';
import { Entity } from '@backstage/catalog-model';
import { EntityProvider } from '@backstage/plugin-catalog-react';
import { TestApiProvider, renderInTestApp } from '@backstage/test-utils';
import { ModelOpsApi, modelOpsApiRef } from '../api';
import { modelEntity } from './fixtures';

/** Renders a tab for an entity with a given Model Ops API behind it. */
export function renderModelTab(
  element: ReactElement,
  api: Partial<ModelOpsApi>,
  entity: Entity = modelEntity,
) {
  return renderInTestApp(
    <TestApiProvider apis={[[modelOpsApiRef, api]]}>
      <EntityProvider entity={entity}>{element}</EntityProvider>
    </TestApiProvider>,
    { mountedRoutes: {} },
  );
}
