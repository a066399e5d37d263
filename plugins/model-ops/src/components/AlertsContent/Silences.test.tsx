import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { ResponseError } from '@backstage/errors';
import { renderModelTab } from '../../__testUtils__/renderModelTab';
import { deployedModel } from '../../__testUtils__/fixtures';
import { AlertsContent } from './AlertsContent';
import {
  FIXTURE_NOW,
  activeSilence,
  configMaintenance,
  deploymentChange,
  expiredSilence,
  firingAlert,
  healthyStatus,
  metricsResponse,
  pendingAlert,
  pendingMaintenance,
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
      listSilences: jest.fn().mockResolvedValue({ items: [] }),
      listIncidents: jest.fn().mockResolvedValue({ items: [] }),
      getIncident: jest.fn().mockReturnValue(new Promise(() => {})),
      ...api,
    },
    { deny },
  );
}

/** A ResponseError as the client makes it from the backend's 400. */
async function badRequest(message: string): Promise<ResponseError> {
  const body = JSON.stringify({
    error: { name: 'InputError', message },
    request: { method: 'POST', url: '/silences' },
    response: { statusCode: 400 },
  });
  return ResponseError.fromResponse({
    status: 400,
    statusText: 'Bad Request',
    headers: {
      get: (name: string) =>
        name.toLowerCase() === 'content-type' ? 'application/json' : null,
    },
    text: async () => body,
  } as unknown as Response);
}

/** The button, once the permission decision has enabled it. */
async function enabledButton(name: string | RegExp) {
  const button = await screen.findByRole('button', { name });
  await waitFor(() => expect(button).toBeEnabled());
  return button;
}

const silencesPanel = () => screen.getByRole('region', { name: 'Silences' });
const silenceRow = (id: string) => screen.getByTestId(`silence-${id}`);

describe('AlertsContent silences', () => {
  beforeEach(() => {
    jest.spyOn(Date, 'now').mockReturnValue(FIXTURE_NOW);
  });
  afterEach(() => jest.restoreAllMocks());

  it('shows an alert’s version, the change before it, what muted it, and links its incident', async () => {
    const getIncident = jest.fn().mockReturnValue(new Promise(() => {}));
    await render({
      listAlerts: jest.fn().mockResolvedValue({
        items: [
          {
            ...firingAlert,
            version: '1.2.0',
            change: deploymentChange,
            silencedBy: activeSilence.id,
            incidentId: 'inc-1',
          },
          { ...pendingAlert, silencedBy: 'maintenance:nightly' },
        ],
      }),
      listSilences: jest.fn().mockResolvedValue({ items: [activeSilence] }),
      getIncident,
    });
    const firing = (await screen.findByText('high_error_rate')).closest('tr')!;
    expect(within(firing).getByText('1.2.0')).toBeInTheDocument();
    // The deployment finished at -8 min, the alert fired at -5 min.
    expect(within(firing).getByTestId('alert-change')).toHaveTextContent(
      'after deployment of 1.2.0 succeeded (from 1.1.0), 3 min before',
    );
    expect(
      await within(firing).findByText(
        'muted by silence: Known upstream outage',
      ),
    ).toBeInTheDocument();
    const pending = screen.getByText('high_cpu_usage').closest('tr')!;
    // A configured window that the list does not hold is named by its id.
    expect(
      within(pending).getByText('muted by maintenance nightly'),
    ).toBeInTheDocument();
    expect(
      within(pending).queryByRole('button', { name: /Open the incident/ }),
    ).not.toBeInTheDocument();

    fireEvent.click(
      within(firing).getByRole('button', {
        name: 'Open the incident of high_error_rate',
      }),
    );
    expect(
      await screen.findByRole('region', { name: 'Incident timeline' }),
    ).toBeInTheDocument();
    expect(getIncident).toHaveBeenCalledWith(entity, 'inc-1');
  });

  it('silences an alert from its row with its type and slot, a reason and a duration, then reloads', async () => {
    const createSilence = jest.fn().mockResolvedValue(activeSilence);
    const listSilences = jest
      .fn()
      .mockResolvedValueOnce({ items: [] })
      .mockResolvedValue({ items: [activeSilence] });
    const listAlerts = jest
      .fn()
      .mockResolvedValue({ items: [firingAlert, resolvedAlert] });
    await render({ createSilence, listSilences, listAlerts });
    // Only open alerts can be silenced.
    expect(
      screen.queryByRole('button', { name: 'Silence high_memory_usage' }),
    ).not.toBeInTheDocument();
    fireEvent.click(await enabledButton('Silence high_error_rate'));

    const dialog = await screen.findByRole('dialog', {
      name: 'Silence alerts',
    });
    expect(within(dialog).getByLabelText('Alert types')).toHaveValue(
      'high_error_rate',
    );
    expect(within(dialog).getByLabelText('blue')).toBeChecked();
    expect(within(dialog).getByLabelText('green')).not.toBeChecked();
    expect(within(dialog).getByLabelText('critical')).not.toBeChecked();
    // The reason is required.
    const submit = within(dialog).getByRole('button', { name: 'Silence' });
    expect(submit).toBeDisabled();
    fireEvent.change(within(dialog).getByLabelText(/^Reason/), {
      target: { value: '  Known upstream outage ' },
    });
    fireEvent.change(within(dialog).getByLabelText('Duration'), {
      target: { value: '240' },
    });
    expect(submit).toBeEnabled();
    fireEvent.click(submit);

    await waitFor(() =>
      expect(createSilence).toHaveBeenCalledWith(entity, {
        kind: 'silence',
        matchers: { alertType: ['high_error_rate'], slot: ['blue'] },
        reason: 'Known upstream outage',
        durationMinutes: 240,
      }),
    );
    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );
    // The silences and the alerts are fetched again at once, not at the next poll.
    expect(
      await within(silencesPanel()).findByText('Known upstream outage'),
    ).toBeInTheDocument();
    expect(listSilences).toHaveBeenCalledTimes(2);
    expect(listAlerts).toHaveBeenCalledTimes(2);
  });

  it('shows the backend’s 400, naming the field, inside the dialog and keeps it open', async () => {
    const createSilence = jest
      .fn()
      .mockRejectedValue(
        await badRequest(
          'matchers: a silence needs at least one matcher (alertType, severity or slot); a maintenance window mutes the whole model',
        ),
      );
    const listSilences = jest.fn().mockResolvedValue({ items: [] });
    await render({ createSilence, listSilences });
    fireEvent.click(await enabledButton('New silence'));
    const dialog = await screen.findByRole('dialog', {
      name: 'Silence alerts',
    });
    // A new silence starts with no matcher.
    expect(within(dialog).getByLabelText('Alert types')).toHaveValue('');
    fireEvent.change(within(dialog).getByLabelText(/^Reason/), {
      target: { value: 'noisy' },
    });
    fireEvent.change(within(dialog).getByLabelText('Duration'), {
      target: { value: 'custom' },
    });
    fireEvent.change(within(dialog).getByLabelText('Minutes'), {
      target: { value: '90' },
    });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Silence' }));

    expect(await within(dialog).findByRole('alert')).toHaveTextContent(
      /^matchers: a silence needs at least one matcher/,
    );
    expect(createSilence).toHaveBeenCalledWith(entity, {
      kind: 'silence',
      matchers: {},
      reason: 'noisy',
      durationMinutes: 90,
    });
    expect(screen.getByRole('dialog')).toBeInTheDocument();
    // Nothing changed, so nothing is reloaded.
    expect(listSilences).toHaveBeenCalledTimes(1);
  });

  it('schedules a maintenance window of the whole model from a start time', async () => {
    const createSilence = jest.fn().mockResolvedValue(pendingMaintenance);
    await render({ createSilence });
    fireEvent.click(await enabledButton('Maintenance window'));
    const dialog = await screen.findByRole('dialog', {
      name: 'Schedule a maintenance window',
    });
    expect(
      within(dialog).queryByLabelText('Alert types'),
    ).not.toBeInTheDocument();
    fireEvent.change(within(dialog).getByLabelText('Starts at'), {
      target: { value: '2026-12-24T22:00' },
    });
    fireEvent.change(within(dialog).getByLabelText('Duration'), {
      target: { value: '1440' },
    });
    fireEvent.change(within(dialog).getByLabelText(/^Reason/), {
      target: { value: 'Cluster upgrade' },
    });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Schedule' }));
    await waitFor(() => expect(createSilence).toHaveBeenCalledTimes(1));
    const [ref, request] = createSilence.mock.calls[0];
    expect(ref).toEqual(entity);
    // The start is read in the reader's zone; a window takes no matchers.
    expect(request).toEqual({
      kind: 'maintenance',
      reason: 'Cluster upgrade',
      durationMinutes: 1440,
      startsAt: new Date(2026, 11, 24, 22, 0).toISOString(),
    });
  });

  it('lists silences and windows with state, kind, matchers, reason, author and source; only API ones that still run can be expired', async () => {
    await render({
      listSilences: jest.fn().mockResolvedValue({
        items: [
          expiredSilence,
          configMaintenance,
          pendingMaintenance,
          activeSilence,
        ],
      }),
    });
    await within(
      await screen.findByRole('region', { name: 'Silences' }),
    ).findByText('Known upstream outage');
    const active = silenceRow(activeSilence.id);
    expect(within(active).getByText('Active')).toBeInTheDocument();
    expect(within(active).getByText('Silence')).toBeInTheDocument();
    expect(
      within(active).getByText('alertType: high_error_rate'),
    ).toBeInTheDocument();
    expect(within(active).getByText('slot: blue')).toBeInTheDocument();
    expect(within(active).getByText('user:default/guest')).toBeInTheDocument();
    expect(within(active).getByText('api')).toBeInTheDocument();
    expect(
      within(active).getByRole('button', { name: /^Expire silence/ }),
    ).toBeInTheDocument();

    const pending = silenceRow(pendingMaintenance.id);
    expect(within(pending).getByText('Pending')).toBeInTheDocument();
    expect(within(pending).getByText('Maintenance window')).toBeInTheDocument();
    expect(within(pending).getByText('whole model')).toBeInTheDocument();
    expect(within(pending).getByText('Cluster upgrade')).toBeInTheDocument();
    expect(
      within(pending).getByRole('button', {
        name: 'Expire maintenance window: Cluster upgrade',
      }),
    ).toBeInTheDocument();

    const config = silenceRow(configMaintenance.id);
    expect(within(config).getByText('Active')).toBeInTheDocument();
    expect(within(config).getByText('configuration')).toBeInTheDocument();
    expect(within(config).getByText('config')).toBeInTheDocument();
    expect(within(config).queryByRole('button')).not.toBeInTheDocument();

    const expired = silenceRow(expiredSilence.id);
    expect(within(expired).getByText('Expired')).toBeInTheDocument();
    expect(within(expired).getByText('severity: warning')).toBeInTheDocument();
    expect(
      within(expired).getByText('expired by user:default/guest'),
    ).toBeInTheDocument();
    expect(within(expired).queryByRole('button')).not.toBeInTheDocument();

    // Running ones first, the expired last.
    const rows = within(silencesPanel())
      .getAllByRole('row')
      .slice(1)
      .map(row => row.getAttribute('data-testid'));
    expect(rows[rows.length - 1]).toBe(`silence-${expiredSilence.id}`);
  });

  it('expires a silence and reloads the silences and the alerts', async () => {
    const expireSilence = jest
      .fn()
      .mockResolvedValue({ ...activeSilence, state: 'expired' });
    const listSilences = jest
      .fn()
      .mockResolvedValueOnce({ items: [activeSilence] })
      .mockResolvedValue({
        items: [
          {
            ...activeSilence,
            state: 'expired',
            expiredAt: new Date(FIXTURE_NOW).toISOString(),
            expiredBy: 'user:default/guest',
          },
        ],
      });
    const listAlerts = jest.fn().mockResolvedValue({ items: [] });
    await render({ expireSilence, listSilences, listAlerts });
    fireEvent.click(
      await enabledButton('Expire silence: Known upstream outage'),
    );
    await waitFor(() =>
      expect(expireSilence).toHaveBeenCalledWith(entity, activeSilence.id),
    );
    expect(
      await within(silenceRow(activeSilence.id)).findByText('Expired'),
    ).toBeInTheDocument();
    expect(
      within(silenceRow(activeSilence.id)).queryByRole('button'),
    ).not.toBeInTheDocument();
    expect(listSilences).toHaveBeenCalledTimes(2);
    expect(listAlerts).toHaveBeenCalledTimes(2);
  });

  it('shows why a silence could not be expired', async () => {
    await render({
      listSilences: jest.fn().mockResolvedValue({ items: [activeSilence] }),
      expireSilence: jest
        .fn()
        .mockRejectedValue(new Error('Silence is already expired')),
    });
    fireEvent.click(
      await enabledButton('Expire silence: Known upstream outage'),
    );
    expect(await within(silencesPanel()).findByRole('alert')).toHaveTextContent(
      'Could not expire the silence: Silence is already expired',
    );
  });

  it('turns Silence, New silence, Maintenance window and Expire off without model-ops.alert.update', async () => {
    const createSilence = jest.fn();
    await render(
      {
        createSilence,
        listSilences: jest.fn().mockResolvedValue({ items: [activeSilence] }),
      },
      true,
    );
    const expire = await screen.findByRole('button', {
      name: 'Expire silence: Known upstream outage',
    });
    await waitFor(() => expect(expire).toBeDisabled());
    expect(
      screen.getByRole('button', { name: 'Silence high_error_rate' }),
    ).toBeDisabled();
    expect(screen.getByRole('button', { name: 'New silence' })).toBeDisabled();
    expect(
      screen.getByRole('button', { name: 'Maintenance window' }),
    ).toBeDisabled();
    fireEvent.click(screen.getByRole('button', { name: 'New silence' }));
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(createSilence).not.toHaveBeenCalled();
  });
});
