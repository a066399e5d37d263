import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
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
    const listModels = jest.fn().mockResolvedValue({
      items: [badModel, deployedModel],
      totalCount: 2,
      offset: 0,
      limit: 50,
    });
    await render({ listModels });

    expect(await screen.findByText('Models (2)')).toBeInTheDocument();
    // The first page of 50 in the server's order.
    expect(listModels).toHaveBeenCalledWith({
      q: undefined,
      owner: undefined,
      status: undefined,
      sort: undefined,
      order: undefined,
      offset: 0,
      limit: 50,
    });
    const link = screen.getAllByRole('link', {
      name: /Sentiment classifier/,
    })[0];
    expect(link).toHaveAttribute(
      'href',
      '/catalog/default/component/sentiment-classifier',
    );
    // The status of the row (the status filter also offers the word).
    expect(
      screen.getAllByText('Healthy').filter(e => e.tagName !== 'OPTION'),
    ).toHaveLength(1);
    expect(screen.getByText('model-ops/strategy')).toBeInTheDocument();
    expect(screen.getByText('not deployed')).toBeInTheDocument();
  });

  it('asks the server for each page: text, owner and status filters, sort and paging', async () => {
    const listModels = jest.fn().mockResolvedValue({
      items: [deployedModel],
      totalCount: 120,
      offset: 0,
      limit: 50,
      owners: ['group:default/ml-platform', 'group:ml/fraud-team'],
      statusCounts: { unknown: 100, healthy: 15, warning: 4, critical: 1 },
    });
    // The search box waits for typing to pause, timed by the real clock.
    jest.mocked(Date.now).mockRestore();
    await render({ listModels });
    expect(await screen.findByText('Models (120)')).toBeInTheDocument();
    const lastQuery = () =>
      listModels.mock.calls[listModels.mock.calls.length - 1][0];

    // The statuses say how many models have each; the owners are the server's.
    expect(
      screen.getByRole('option', { name: 'Warning (4)' }),
    ).toBeInTheDocument();
    fireEvent.change(screen.getByLabelText('Owner'), {
      target: { value: 'group:ml/fraud-team' },
    });
    await waitFor(() =>
      expect(lastQuery()).toMatchObject({
        owner: 'group:ml/fraud-team',
        offset: 0,
      }),
    );
    fireEvent.change(screen.getByLabelText('Status'), {
      target: { value: 'warning' },
    });
    await waitFor(() =>
      expect(lastQuery()).toMatchObject({
        owner: 'group:ml/fraud-team',
        status: 'warning',
      }),
    );

    await userEvent.type(screen.getByPlaceholderText('Filter'), 'fraud');
    // The column's sort label (the header is also a drag handle).
    const statusHeader = () =>
      screen
        .getAllByRole('button', { name: 'Status' })
        .find(e => e.className.includes('MuiTableSortLabel-root'))!;
    await waitFor(() => expect(lastQuery()).toMatchObject({ q: 'fraud' }));

    await userEvent.click(statusHeader());
    await waitFor(() =>
      expect(lastQuery()).toMatchObject({ sort: 'status', order: undefined }),
    );
    await userEvent.click(statusHeader());
    await waitFor(() =>
      expect(lastQuery()).toMatchObject({ sort: 'status', order: 'desc' }),
    );

    await userEvent.click(
      screen.getAllByRole('button', { name: 'Next Page' })[0],
    );
    await waitFor(() =>
      expect(lastQuery()).toEqual({
        q: 'fraud',
        owner: 'group:ml/fraud-team',
        status: 'warning',
        sort: 'status',
        order: 'desc',
        offset: 50,
        limit: 50,
      }),
    );
  });

  it('shows each model’s projected monthly cost and top recommendation, linking to its Capacity tab', async () => {
    const listModels = jest.fn().mockResolvedValue({
      items: [
        {
          ...deployedModel,
          capacity: {
            period: '7d',
            computedAt: new Date(FIXTURE_NOW - 60_000).toISOString(),
            projectedMonthlyCost: {
              amount: 1234.5,
              currency: 'USD',
              basis: 'projection',
            },
            topRecommendation: {
              id: 'growth',
              type: 'planning',
              priority: 'medium',
              title: 'Plan capacity for growth',
            },
            recommendations: 2,
            seeded: true,
          },
        },
        {
          ...badModel,
          capacity: {
            period: '7d',
            computedAt: new Date(FIXTURE_NOW - 60_000).toISOString(),
            projectedMonthlyCost: {
              amount: 72,
              currency: 'USD',
              basis: 'current',
            },
            recommendations: 0,
            seeded: false,
          },
        },
      ],
      totalCount: 2,
      offset: 0,
      limit: 50,
    });
    await render({ listModels });
    expect(await screen.findByText('$1,234.50')).toBeInTheDocument();
    // Without a projection, the current rate, marked as an estimate.
    expect(screen.getByText('≈ $72.00')).toBeInTheDocument();
    const top = screen.getByRole('link', {
      name: 'Plan capacity for growth (+1)',
    });
    expect(top).toHaveAttribute(
      'href',
      '/catalog/default/component/sentiment-classifier/capacity',
    );
    expect(screen.getByText('medium')).toBeInTheDocument();
    // No recommendation for the second model (the first has no problems).
    expect(screen.getAllByText('none')).toHaveLength(2);

    // The column sorts on the server.
    await userEvent.click(
      screen
        .getAllByRole('button', { name: 'Projected cost / month' })
        .find(e => e.className.includes('MuiTableSortLabel-root'))!,
    );
    await waitFor(() =>
      expect(
        listModels.mock.calls[listModels.mock.calls.length - 1][0],
      ).toMatchObject({ sort: 'projectedMonthlyCost' }),
    );
  });

  it('shows why the models could not load', async () => {
    await render({
      listModels: jest.fn().mockRejectedValue(new Error('models down')),
    });
    expect(
      await screen.findByText('Error: models down', { selector: 'h6' }),
    ).toBeInTheDocument();
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
