import { screen } from '@testing-library/react';
import { TestApiProvider, renderInTestApp } from '@backstage/test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { modelOpsApiRef } from '../../api';
import { badModel, deployedModel } from '../../__testUtils__/fixtures';
import { ModelOpsPage } from './ModelOpsPage';

describe('ModelOpsPage', () => {
  it('lists every model with a link to its page, its status and problems', async () => {
    const api = {
      listModels: jest
        .fn()
        .mockResolvedValue({ items: [badModel, deployedModel] }),
    };
    await renderInTestApp(
      <TestApiProvider apis={[[modelOpsApiRef, api]]}>
        <ModelOpsPage />
      </TestApiProvider>,
      { mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef } },
    );

    expect(await screen.findByText('Models (2)')).toBeInTheDocument();
    const link = screen.getAllByRole('link', {
      name: /Sentiment classifier/,
    })[0];
    expect(link).toHaveAttribute(
      'href',
      '/catalog/default/component/sentiment-classifier',
    );
    expect(screen.getByText('Healthy')).toBeInTheDocument();
    expect(screen.getByText('model-ops/strategy')).toBeInTheDocument();
    expect(screen.getByText('not deployed')).toBeInTheDocument();
  });
});
