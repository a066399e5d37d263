import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { AlertDelivery } from '@model-ops/plugin-model-ops-common';
import { renderModelTab } from '../../__testUtils__/renderModelTab';
import { deployedModel } from '../../__testUtils__/fixtures';
import { AlertsContent } from './AlertsContent';
import {
  FIXTURE_NOW,
  firingAlert,
  healthyStatus,
  metricsResponse,
  resolvedAlert,
} from './__testUtils__/fixtures';

jest.mock('recharts', () =>
  require('./__testUtils__/rechartsMock').rechartsMock(),
);

const entity = {
  kind: 'component',
  namespace: 'default',
  name: 'sentiment-classifier',
};

const delivered: AlertDelivery = {
  id: 'n-1',
  channelId: 'oncall-slack',
  route: 'default',
  kind: 'firing',
  alertIds: [firingAlert.id],
  status: 'sent',
  attempts: 2,
  createdAt: new Date(FIXTURE_NOW - 5 * 60_000).toISOString(),
  sentAt: new Date(FIXTURE_NOW - 4 * 60_000).toISOString(),
  history: [
    {
      attemptedAt: new Date(FIXTURE_NOW - 5 * 60_000).toISOString(),
      ok: false,
      status: 503,
      detail: 'HTTP 503',
      latencyMs: 12,
    },
    {
      attemptedAt: new Date(FIXTURE_NOW - 4 * 60_000).toISOString(),
      ok: true,
      status: 200,
      latencyMs: 8,
    },
  ],
};

function render(api: Record<string, jest.Mock>, deny = false) {
  return renderModelTab(
    <AlertsContent />,
    {
      getModel: jest.fn().mockResolvedValue(deployedModel),
      getStatus: jest.fn().mockResolvedValue(healthyStatus),
      getMetrics: jest.fn().mockResolvedValue(metricsResponse()),
      listAlerts: jest
        .fn()
        .mockResolvedValue({ items: [firingAlert, resolvedAlert] }),
      listAlertDeliveries: jest.fn().mockResolvedValue({ items: [delivered] }),
      ...api,
    },
    { deny },
  );
}

describe('AlertsContent actions', () => {
  beforeEach(() => {
    jest.spyOn(Date, 'now').mockReturnValue(FIXTURE_NOW);
  });
  afterEach(() => jest.restoreAllMocks());

  it('acknowledges an alert with a comment and reloads the alerts', async () => {
    const acknowledgeAlert = jest.fn().mockResolvedValue({
      ...firingAlert,
      acknowledgedBy: 'user:default/guest',
    });
    const listAlerts = jest
      .fn()
      .mockResolvedValueOnce({ items: [firingAlert, resolvedAlert] })
      .mockResolvedValue({
        items: [
          {
            ...firingAlert,
            acknowledgedBy: 'user:default/guest',
            acknowledgedComment: 'on it',
          },
          resolvedAlert,
        ],
      });
    await render({ acknowledgeAlert, listAlerts });
    fireEvent.click(
      await screen.findByRole('button', {
        name: 'Acknowledge high_error_rate',
      }),
    );
    const dialog = await screen.findByRole('dialog');
    fireEvent.change(within(dialog).getByLabelText('Comment (optional)'), {
      target: { value: 'on it' },
    });
    fireEvent.click(
      within(dialog).getByRole('button', { name: 'Acknowledge' }),
    );
    await waitFor(() =>
      expect(acknowledgeAlert).toHaveBeenCalledWith(
        entity,
        firingAlert.id,
        'on it',
      ),
    );
    expect(
      await screen.findByText('acknowledged by user:default/guest: on it'),
    ).toBeInTheDocument();
    // Acknowledged: only Resolve is left; the resolved alert has no actions.
    expect(
      screen.queryByRole('button', { name: 'Acknowledge high_error_rate' }),
    ).not.toBeInTheDocument();
    expect(screen.getAllByRole('button', { name: /^Resolve / })).toHaveLength(
      1,
    );
  });

  it('shows the backend’s refusal in the dialog', async () => {
    const resolveAlert = jest
      .fn()
      .mockRejectedValue(new Error('Alert alert-1 is resolved'));
    await render({ resolveAlert });
    fireEvent.click(
      await screen.findByRole('button', { name: 'Resolve high_error_rate' }),
    );
    const dialog = await screen.findByRole('dialog');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Resolve' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent(
      'Alert alert-1 is resolved',
    );
    expect(resolveAlert).toHaveBeenCalledWith(
      entity,
      firingAlert.id,
      undefined,
    );
  });

  it('turns the actions off without model-ops.alert.update', async () => {
    await render({}, true);
    await waitFor(() =>
      expect(
        screen.getByRole('button', { name: 'Acknowledge high_error_rate' }),
      ).toBeDisabled(),
    );
    expect(
      screen.getByRole('button', { name: 'Resolve high_error_rate' }),
    ).toBeDisabled();
  });

  it('opens an alert to show where its notifications went, with every attempt', async () => {
    const listAlertDeliveries = jest
      .fn()
      .mockResolvedValue({ items: [delivered] });
    await render({ listAlertDeliveries });
    await screen.findByRole('button', { name: 'Resolve high_error_rate' });
    // The detail toggle of the first row.
    fireEvent.click(screen.getAllByTitle('Deliveries')[0]);
    const panel = await screen.findByLabelText('Deliveries');
    expect(listAlertDeliveries).toHaveBeenCalledWith(entity, firingAlert.id);
    expect(within(panel).getByText('oncall-slack')).toBeInTheDocument();
    expect(
      within(panel).getByText(/^Sent .* \(2 attempts\)$/),
    ).toBeInTheDocument();
    expect(
      within(panel).getByText(/failed 503 \(HTTP 503\) in 12 ms/),
    ).toBeInTheDocument();
    expect(within(panel).getByText(/ok 200 in 8 ms/)).toBeInTheDocument();
  });
});
