import {
  act,
  fireEvent,
  screen,
  waitFor,
  within,
} from '@testing-library/react';
import { renderModelTab } from '../../__testUtils__/renderModelTab';
import { deployedModel } from '../../__testUtils__/fixtures';
import { AlertsContent } from './AlertsContent';
import {
  FIXTURE_NOW,
  firingAlert,
  healthyStatus,
  metricsResponse,
  openIncident,
  openIncidentDetails,
  resolvedIncident,
} from './__testUtils__/fixtures';
import { STATUS_POLL_MS } from './useMonitoring';

jest.mock('recharts', () =>
  require('./__testUtils__/rechartsMock').rechartsMock(),
);

const entity = {
  kind: 'component',
  namespace: 'default',
  name: 'sentiment-classifier',
};

const REPORT =
  '# Incident inc-1\n\n## Timeline\n\n- 10:00 high_error_rate fired\n';

function render(api: Record<string, jest.Mock>) {
  return renderModelTab(<AlertsContent />, {
    getModel: jest.fn().mockResolvedValue(deployedModel),
    getStatus: jest.fn().mockResolvedValue(healthyStatus),
    getMetrics: jest.fn().mockResolvedValue(metricsResponse()),
    listAlerts: jest.fn().mockResolvedValue({ items: [] }),
    listSilences: jest.fn().mockResolvedValue({ items: [] }),
    listIncidents: jest
      .fn()
      .mockResolvedValue({ items: [openIncident, resolvedIncident] }),
    getIncident: jest.fn().mockResolvedValue(openIncidentDetails),
    getIncidentReport: jest.fn().mockResolvedValue(REPORT),
    ...api,
  });
}

const incidentsTable = () => screen.getByRole('table', { name: 'Incidents' });
const rowOf = (title: string) =>
  within(incidentsTable()).getByText(title).closest('tr')!;

/** A blob's text: `Blob#text` where the environment's Blob has it, a FileReader elsewhere. */
function readBlob(blob: Blob): Promise<string> {
  if (typeof blob.text === 'function') return blob.text();
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result as string);
    reader.onerror = () => reject(reader.error);
    reader.readAsText(blob);
  });
}

async function openDetails() {
  fireEvent.click(
    await screen.findByRole('button', {
      name: `Open incident ${openIncident.title}`,
    }),
  );
  const panel = await screen.findByRole('region', {
    name: 'Incident timeline',
  });
  await within(panel).findByRole('table', { name: 'Timeline' });
  return panel;
}

describe('AlertsContent incidents', () => {
  beforeEach(() => {
    jest.spyOn(Date, 'now').mockReturnValue(FIXTURE_NOW);
  });
  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('lists the incidents with state, severity, times to acknowledge and resolve, and alert count', async () => {
    const listIncidents = jest
      .fn()
      .mockResolvedValue({ items: [openIncident, resolvedIncident] });
    await render({ listIncidents });
    await screen.findByRole('table', { name: 'Incidents' });
    expect(listIncidents).toHaveBeenCalledWith(entity);

    const open = rowOf(openIncident.title);
    expect(within(open).getByText('Open')).toBeInTheDocument();
    expect(within(open).getByText('Critical')).toBeInTheDocument();
    expect(within(open).getByText('2 min')).toBeInTheDocument();
    const openCells = within(open).getAllByRole('cell');
    expect(openCells[5]).toHaveTextContent('—');
    expect(openCells[6]).toHaveTextContent('2');
    expect(
      within(openCells[3]).getByText((_, el) => el?.tagName === 'TIME'),
    ).toHaveAttribute('dateTime', openIncident.openedAt);

    const resolved = rowOf(resolvedIncident.title);
    expect(within(resolved).getByText('Resolved')).toBeInTheDocument();
    expect(within(resolved).getByText('Warning')).toBeInTheDocument();
    expect(within(resolved).getByText('7 min')).toBeInTheDocument();
    expect(within(resolved).getByText('1 h 30 min')).toBeInTheDocument();
    expect(within(resolved).getAllByRole('cell')[6]).toHaveTextContent('1');

    // No incident is open until one is chosen.
    expect(
      screen.queryByRole('region', { name: 'Incident timeline' }),
    ).not.toBeInTheDocument();
  });

  it('opens an incident to its runbook, preceding change, alerts and timeline in time order', async () => {
    const getIncident = jest.fn().mockResolvedValue(openIncidentDetails);
    await render({ getIncident });
    const panel = await openDetails();
    expect(getIncident).toHaveBeenCalledWith(entity, openIncident.id);

    expect(
      within(panel).getByRole('heading', { name: openIncident.title }),
    ).toBeInTheDocument();
    expect(
      within(panel).getByRole('link', { name: /^Runbook of the incident/ }),
    ).toHaveAttribute('href', openIncident.runbook);
    const summary = within(panel).getByRole('table', {
      name: 'Incident summary',
    });
    expect(
      within(summary).getByText(
        /Deployment of 1\.2\.0 succeeded \(from 1\.1\.0\)/,
      ),
    ).toBeInTheDocument();
    expect(
      within(summary).getByText(/by user:default\/guest \(after 2 min\)/),
    ).toBeInTheDocument();

    const alerts = within(panel).getByRole('table', {
      name: 'Alerts of the incident',
    });
    expect(within(alerts).getByText('high_error_rate')).toBeInTheDocument();
    expect(within(alerts).getByText('high_cpu_usage')).toBeInTheDocument();
    expect(within(alerts).getByText('1.2.0')).toBeInTheDocument();

    // The backend's entries, sorted by time: the deployment first, the acknowledgement last.
    const events = within(panel).getAllByTestId('timeline-event');
    expect(
      events.map(e => within(e).getAllByRole('cell')[2].textContent),
    ).toEqual([
      'Deployment of 1.2.0 succeeded (from 1.1.0)',
      'high_error_rate fired: Error rate 12.3 % is above 10 %',
      'oncall-slack: HTTP 503',
      'high_error_rate acknowledged: on it',
    ]);
    expect(within(events[0]).getByText('Deployment')).toBeInTheDocument();
    expect(
      within(events[0]).getByText('user:default/release-bot'),
    ).toBeInTheDocument();
    expect(within(events[1]).getByText('Firing')).toBeInTheDocument();
    expect(
      within(events[2]).getByText('Notification failed'),
    ).toBeInTheDocument();
    expect(within(events[3]).getByText('Acknowledged')).toBeInTheDocument();
    expect(
      within(events[3]).getByText('user:default/guest'),
    ).toBeInTheDocument();
    for (const event of events) {
      expect(event.querySelector('time')).not.toBeNull();
      expect(event.querySelector('svg')).not.toBeNull();
    }

    fireEvent.click(within(panel).getByRole('button', { name: 'Close' }));
    expect(
      screen.queryByRole('region', { name: 'Incident timeline' }),
    ).not.toBeInTheDocument();
  });

  it('downloads the report as incident-<id>.md through an object URL', async () => {
    const getIncidentReport = jest.fn().mockResolvedValue(REPORT);
    // jsdom has no object URLs; the test stands in for them.
    const created: Blob[] = [];
    const createObjectURL = jest.fn((blob: Blob) => {
      created.push(blob);
      return 'blob:http://localhost/report-1';
    });
    const revokeObjectURL = jest.fn();
    const original = {
      createObjectURL: URL.createObjectURL,
      revokeObjectURL: URL.revokeObjectURL,
    };
    Object.assign(URL, { createObjectURL, revokeObjectURL });
    const clicks: Array<{ href: string; download: string; attached: boolean }> =
      [];
    jest
      .spyOn(HTMLAnchorElement.prototype, 'click')
      .mockImplementation(function record(this: HTMLAnchorElement) {
        clicks.push({
          href: this.href,
          download: this.download,
          attached: document.body.contains(this),
        });
      });
    try {
      await render({ getIncidentReport });
      const panel = await openDetails();
      fireEvent.click(
        within(panel).getByRole('button', { name: 'Download report' }),
      );
      await waitFor(() => expect(clicks).toHaveLength(1));
      expect(getIncidentReport).toHaveBeenCalledWith(entity, openIncident.id);
      expect(clicks[0]).toEqual({
        href: 'blob:http://localhost/report-1',
        download: 'incident-inc-1.md',
        attached: true,
      });
      expect(created).toHaveLength(1);
      expect(created[0].type).toBe('text/markdown');
      expect(await readBlob(created[0])).toBe(REPORT);
      // The link is gone and its URL let go.
      expect(document.querySelector('a[download]')).toBeNull();
      await waitFor(() =>
        expect(revokeObjectURL).toHaveBeenCalledWith(
          'blob:http://localhost/report-1',
        ),
      );
    } finally {
      Object.assign(URL, original);
    }
  });

  it('says why the report could not be downloaded', async () => {
    await render({
      getIncidentReport: jest
        .fn()
        .mockRejectedValue(new Error('No incident inc-1')),
    });
    const panel = await openDetails();
    fireEvent.click(
      within(panel).getByRole('button', { name: 'Download report' }),
    );
    expect(await within(panel).findByRole('alert')).toHaveTextContent(
      'Could not download the report: No incident inc-1',
    );
  });

  it('reloads the incidents and the open incident after an alert is acknowledged', async () => {
    const getIncident = jest.fn().mockResolvedValue(openIncidentDetails);
    const listIncidents = jest
      .fn()
      .mockResolvedValue({ items: [openIncident] });
    const acknowledgeAlert = jest.fn().mockResolvedValue(firingAlert);
    await render({
      getIncident,
      listIncidents,
      acknowledgeAlert,
      listAlerts: jest.fn().mockResolvedValue({
        items: [{ ...firingAlert, incidentId: 'inc-1' }],
      }),
    });
    await openDetails();
    expect(getIncident).toHaveBeenCalledTimes(1);
    expect(listIncidents).toHaveBeenCalledTimes(1);

    const ack = await screen.findByRole('button', {
      name: 'Acknowledge high_error_rate',
    });
    await waitFor(() => expect(ack).toBeEnabled());
    fireEvent.click(ack);
    const dialog = await screen.findByRole('dialog');
    fireEvent.click(
      within(dialog).getByRole('button', { name: 'Acknowledge' }),
    );
    await waitFor(() => expect(getIncident).toHaveBeenCalledTimes(2));
    expect(listIncidents).toHaveBeenCalledTimes(2);
  });

  it('polls the silences and incidents with the alerts, and an open incident’s details, every 15 s', async () => {
    jest.useFakeTimers();
    const listSilences = jest.fn().mockResolvedValue({ items: [] });
    const listIncidents = jest
      .fn()
      .mockResolvedValue({ items: [openIncident] });
    const getIncident = jest.fn().mockResolvedValue(openIncidentDetails);
    await render({ listSilences, listIncidents, getIncident });
    await openDetails();
    expect(listSilences).toHaveBeenCalledTimes(1);
    expect(listIncidents).toHaveBeenCalledTimes(1);
    expect(getIncident).toHaveBeenCalledTimes(1);

    await act(async () => {
      jest.advanceTimersByTime(STATUS_POLL_MS);
    });
    await waitFor(() => expect(listSilences).toHaveBeenCalledTimes(2));
    await waitFor(() => expect(listIncidents).toHaveBeenCalledTimes(2));
    await waitFor(() => expect(getIncident).toHaveBeenCalledTimes(2));
  });

  it('stops polling the details of a resolved incident', async () => {
    jest.useFakeTimers();
    const getIncident = jest.fn().mockResolvedValue({
      ...openIncidentDetails,
      incident: { ...openIncident, state: 'resolved' },
    });
    const listIncidents = jest
      .fn()
      .mockResolvedValue({ items: [openIncident] });
    await render({ getIncident, listIncidents });
    await openDetails();
    for (const calls of [2, 3]) {
      await act(async () => {
        jest.advanceTimersByTime(STATUS_POLL_MS);
      });
      await waitFor(() => expect(listIncidents).toHaveBeenCalledTimes(calls));
    }
    expect(getIncident).toHaveBeenCalledTimes(1);
  });
});
