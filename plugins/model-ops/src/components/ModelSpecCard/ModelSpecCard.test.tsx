import { screen, within } from '@testing-library/react';
import { renderInTestApp } from '@backstage/test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { badModel, undeployedModel } from '../../__testUtils__/fixtures';
import { ModelSpecCard } from './ModelSpecCard';

function render(model: typeof undeployedModel) {
  return renderInTestApp(
    <ModelSpecCard
      spec={model.spec}
      problems={model.problems}
      owner={model.owner}
    />,
    { mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef } },
  );
}

describe('ModelSpecCard', () => {
  it('shows the key facts of the declared model in one strip, the owner linked', async () => {
    await render(undeployedModel);
    const card = screen.getByTestId('model-spec-card');
    for (const [label, value] of [
      ['Model id', 'sentiment-classifier'],
      ['Runtime', 'local'],
      ['Strategy', 'blue-green'],
      ['Metrics source', 'scrape'],
      ['Rule set', 'default'],
      ['Alert route', 'default'],
    ]) {
      const fact = within(card).getByText(label).parentElement!;
      expect(fact).toHaveTextContent(value);
    }
    expect(
      within(card).getByRole('link', { name: /ml-platform/ }),
    ).toHaveAttribute('href', '/catalog/default/group/ml-platform');
    expect(
      within(card).getByRole('link', { name: /runbooks\.example\.com/ }),
    ).toBeInTheDocument();
    expect(
      within(card).queryByTestId('model-spec-problems'),
    ).not.toBeInTheDocument();
  });

  it('marks a bad value and lists the problems inside the card', async () => {
    await render(badModel);
    const card = screen.getByTestId('model-spec-card');
    expect(within(card).getByText('big-bang (invalid)')).toBeInTheDocument();
    expect(within(card).getByTestId('model-spec-problems')).toHaveTextContent(
      'allowed: blue-green, canary, recreate',
    );
  });

  it('says why nothing can be read without a model id', async () => {
    await render({ ...undeployedModel, spec: undefined });
    expect(screen.getByText('Declared model')).toBeInTheDocument();
    expect(
      screen.getByText(/The model id is missing or invalid/),
    ).toBeInTheDocument();
  });
});
