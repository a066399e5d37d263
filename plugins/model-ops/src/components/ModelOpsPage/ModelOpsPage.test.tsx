import { screen, within } from '@testing-library/react';
import { TestApiProvider, renderInTestApp } from '@backstage/test-utils';
import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { ModelOpsApi, modelOpsApiRef } from '../../api';
import { badModel, deployedModel } from '../../__testUtils__/fixtures';
import {
  FIXTURE_NOW,
  firingAlert,
  openIncident,
  pendingAlert,
  resolvedIncident,
} from '../AlertsContent/__testUtils__/fixtures';
import { ModelOpsPage } from './ModelOpsPage';

const imageTaggerAlert = {
  ...pendingAlert,
  id: 'alert-9',
  modelId: 'image-tagger',
  entityRef: 'component:ml/image-tagger',
  state: 'firing' as const,
  firingAt: new Date(FIXTURE_NOW - 60 * 60_000).toISOString(),
  acknowledgedBy: 'user:default/ops',
};

function render(api: Partial<ModelOpsApi>) {
  return renderInTestApp(
    <TestApiProvider
      apis={[
        [
          modelOpsApiRef,
          {
            listModels: jest.fn().mockResolvedValue({ items: [] }),
            listOpenAlerts: jest.fn().mockResolvedValue({ items: [] }),
            listOpenIncidents: jest.fn().mockResolvedValue({ items: [] }),
            ...api,
          },
        ],
      ]}
    >
      <ModelOpsPage />
    </TestApiProvider>,
    { mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef } },
  );
}

describe('ModelOpsPage', () => {
  beforeEach(() => {
    jest.spyOn(Date, 'now').mockReturnValue(FIXTURE_NOW);
  });
  afterEach(() => jest.restoreAllMocks());

  it('lists every model with a link to its page, its status and problems', async () => {
    await render({
      listModels: jest
        .fn()
        .mockResolvedValue({ items: [badModel, deployedModel] }),
    });

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

  it('shows the open alerts of every model, each linking to its model’s Alerts tab', async () => {
    const listOpenAlerts = jest
      .fn()
      .mockResolvedValue({ items: [firingAlert, imageTaggerAlert] });
    await render({ listOpenAlerts });
    expect(await screen.findByText('Open alerts (2)')).toBeInTheDocument();
    expect(listOpenAlerts).toHaveBeenCalledTimes(1);
    const table = screen.getByRole('region', { name: 'Open alerts' });

    const sentiment = within(table)
      .getByRole('link', { name: 'Alerts of sentiment-classifier' })
      .closest('tr')!;
    expect(
      within(sentiment).getByRole('link', {
        name: 'Alerts of sentiment-classifier',
      }),
    ).toHaveAttribute(
      'href',
      '/catalog/default/component/sentiment-classifier/alerts',
    );
    expect(within(sentiment).getByText('high_error_rate')).toBeInTheDocument();
    expect(within(sentiment).getByText('Critical')).toBeInTheDocument();
    expect(within(sentiment).getByText('5 minutes ago')).toBeInTheDocument();
    expect(within(sentiment).getByText('no')).toBeInTheDocument();

    const tagger = within(table)
      .getByRole('link', { name: 'Alerts of image-tagger' })
      .closest('tr')!;
    expect(
      within(tagger).getByRole('link', { name: 'Alerts of image-tagger' }),
    ).toHaveAttribute('href', '/catalog/ml/component/image-tagger/alerts');
    expect(within(tagger).getByText('high_cpu_usage')).toBeInTheDocument();
    expect(within(tagger).getByText('Warning')).toBeInTheDocument();
    expect(within(tagger).getByText('1 hour ago')).toBeInTheDocument();
    expect(within(tagger).getByText('user:default/ops')).toBeInTheDocument();
  });

  it('shows the open and recently resolved incidents, each linking to its model’s Alerts tab', async () => {
    const listOpenIncidents = jest.fn().mockResolvedValue({
      items: [
        openIncident,
        {
          ...resolvedIncident,
          modelId: 'image-tagger',
          entityRef: 'component:ml/image-tagger',
        },
      ],
    });
    await render({ listOpenIncidents });
    expect(await screen.findByText('Incidents (2)')).toBeInTheDocument();
    const table = screen.getByRole('region', { name: 'Incidents' });

    const open = within(table).getByText(openIncident.title).closest('tr')!;
    expect(
      within(open).getByRole('link', {
        name: 'Alerts of sentiment-classifier',
      }),
    ).toHaveAttribute(
      'href',
      '/catalog/default/component/sentiment-classifier/alerts',
    );
    expect(within(open).getByText('Open')).toBeInTheDocument();
    expect(within(open).getByText('Critical')).toBeInTheDocument();
    expect(within(open).getByText('2 min')).toBeInTheDocument();

    const resolved = within(table)
      .getByText(resolvedIncident.title)
      .closest('tr')!;
    expect(
      within(resolved).getByRole('link', { name: 'Alerts of image-tagger' }),
    ).toHaveAttribute('href', '/catalog/ml/component/image-tagger/alerts');
    expect(within(resolved).getByText('Resolved')).toBeInTheDocument();
    expect(within(resolved).getByText('1 h 30 min')).toBeInTheDocument();
  });

  it('says when nothing is firing and no incident is open', async () => {
    await render({});
    expect(await screen.findByText('No alert is firing.')).toBeInTheDocument();
    expect(
      await screen.findByText(
        'No incident is open, and none was resolved in the last 24 hours.',
      ),
    ).toBeInTheDocument();
  });

  it('shows why the open alerts could not load, and still lists the models', async () => {
    await render({
      listModels: jest.fn().mockResolvedValue({ items: [deployedModel] }),
      listOpenAlerts: jest.fn().mockRejectedValue(new Error('backend down')),
    });
    expect(
      await within(
        screen.getByRole('region', { name: 'Open alerts' }),
      ).findByText(/Could not load the open alerts/),
    ).toBeInTheDocument();
    expect(await screen.findByText('Models (1)')).toBeInTheDocument();
  });
});
