import {
  act,
  fireEvent,
  screen,
  waitFor,
  within,
} from '@testing-library/react';
import {
  MODEL_METRIC_KEYS,
  ModelStatusResponse,
} from '@model-ops/plugin-model-ops-common';
import { renderModelTab } from '../../__testUtils__/renderModelTab';
import { badModel, deployedModel } from '../../__testUtils__/fixtures';
import { ModelOpsApi } from '../../api';
import { AlertsContent } from './AlertsContent';
import {
  FIXTURE_NOW,
  criticalStatus,
  firingAlert,
  healthyStatus,
  metricsResponse,
  oldResolvedAlert,
  pendingAlert,
  resolvedAlert,
  unknownStatus,
  warningStatus,
} from './__testUtils__/fixtures';
import { METRICS_POLL_MS, STATUS_POLL_MS } from './useMonitoring';

// jsdom lays nothing out, so ResponsiveContainer hands its chart a fixed 600×200 instead.
jest.mock('recharts', () =>
  require('./__testUtils__/rechartsMock').rechartsMock(),
);

const entity = {
  kind: 'component',
  namespace: 'default',
  name: 'sentiment-classifier',
};
const HOUR_MS = 3_600_000;

function render(api: Partial<ModelOpsApi> = {}) {
  return renderModelTab(<AlertsContent />, {
    getModel: jest.fn().mockResolvedValue(deployedModel),
    getStatus: jest.fn().mockResolvedValue(healthyStatus),
    getMetrics: jest.fn().mockResolvedValue(metricsResponse()),
    listAlerts: jest.fn().mockResolvedValue({ items: [] }),
    ...api,
  });
}

const header = () => screen.getByTestId('model-health');
const tile = (name: string) => screen.getByRole('region', { name });
const chart = (metric: string) => screen.getByTestId(`metric-chart-${metric}`);

describe('AlertsContent', () => {
  beforeEach(() => {
    // Relative times ("5 minutes ago") are read against the fixtures' own clock.
    jest.spyOn(Date, 'now').mockReturnValue(FIXTURE_NOW);
  });

  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  it('says nothing was collected yet while the status is unknown, and invents no value', async () => {
    await render({ getStatus: jest.fn().mockResolvedValue(unknownStatus) });
    await screen.findByTestId('model-health');
    expect(within(header()).getByText('Unknown')).toBeInTheDocument();
    expect(within(header()).getByTestId('status-pending')).toBeInTheDocument();
    expect(
      within(header()).getByText(
        /No metrics have been collected for this model yet/,
      ),
    ).toBeInTheDocument();
    expect(within(header()).queryByText(/^collected/)).not.toBeInTheDocument();
    // One tile per metric, user satisfaction and feature usage included.
    expect(screen.getAllByText('not reported')).toHaveLength(
      MODEL_METRIC_KEYS.length,
    );
    expect(screen.queryByTestId('metric-value')).not.toBeInTheDocument();
    expect(within(tile('CPU')).getByText('Unknown')).toBeInTheDocument();
  });

  it('shows a healthy status with when it was collected', async () => {
    const getStatus = jest.fn().mockResolvedValue(healthyStatus);
    await render({ getStatus });
    expect(
      await within(await screen.findByTestId('model-health')).findByText(
        'Healthy',
      ),
    ).toBeInTheDocument();
    expect(getStatus).toHaveBeenCalledWith(entity);
    expect(within(header()).getByTestId('status-ok')).toBeInTheDocument();
    expect(within(header()).getByText('2 minutes ago')).toHaveAttribute(
      'dateTime',
      healthyStatus.collectedAt,
    );
    expect(within(header()).getByText('0 alerts firing')).toBeInTheDocument();
    expect(
      screen.queryByText(/No metrics have been collected/),
    ).not.toBeInTheDocument();
  });

  it.each([
    [warningStatus, 'Warning', 'status-warning', '0 alerts firing'],
    [criticalStatus, 'Critical', 'status-error', '1 alert firing'],
  ] as [ModelStatusResponse, string, string, string][])(
    'shows the %#th alarming status as an icon and a word',
    async (status, word, icon, firing) => {
      await render({ getStatus: jest.fn().mockResolvedValue(status) });
      const health = await screen.findByTestId('model-health');
      expect(within(health).getByText(word)).toBeInTheDocument();
      expect(within(health).getByTestId(icon)).toBeInTheDocument();
      expect(within(health).getByText(firing)).toBeInTheDocument();
    },
  );

  it('shows one tile per metric with value and unit, or "not reported"', async () => {
    await render();
    await screen.findByTestId('model-health');
    expect(
      within(tile('Response time (p50)')).getByText('120 ms'),
    ).toBeInTheDocument();
    expect(
      within(tile('Response time (p95)')).getByText('480 ms'),
    ).toBeInTheDocument();
    expect(
      within(tile('Throughput')).getByText('42.5 req/s'),
    ).toBeInTheDocument();
    expect(within(tile('Error rate')).getByText('0.4 %')).toBeInTheDocument();
    expect(within(tile('CPU')).getByText('35 %')).toBeInTheDocument();
    expect(within(tile('Memory')).getByText('61.2 %')).toBeInTheDocument();
    expect(within(tile('Disk')).getByText('not reported')).toBeInTheDocument();
    expect(
      within(tile('Cost per request')).getByText('not reported'),
    ).toBeInTheDocument();
    expect(
      within(tile('Disk')).queryByTestId('metric-value'),
    ).not.toBeInTheDocument();
    // Trends as an arrow and a word; sparklines where there are samples.
    expect(within(tile('Throughput')).getByText('Rising')).toBeInTheDocument();
    expect(
      within(tile('Response time (p95)')).getByText('Falling'),
    ).toBeInTheDocument();
    expect(within(tile('CPU')).getByText('Stable')).toBeInTheDocument();
    const spark = within(tile('Throughput')).getByRole('img', {
      name: 'Throughput, last hour',
    });
    expect(spark.querySelector('.recharts-line-curve')).not.toBeNull();
    expect(
      within(tile('Disk')).getByText('No samples in the last hour'),
    ).toBeInTheDocument();
  });

  it('shows a metric missing from the status as not reported', async () => {
    await render({
      getStatus: jest.fn().mockResolvedValue({
        ...healthyStatus,
        metrics: healthyStatus.metrics.filter(m => m.metric !== 'memory'),
      }),
    });
    await screen.findByTestId('model-health');
    expect(
      within(tile('Memory')).getByText('not reported'),
    ).toBeInTheDocument();
    expect(within(tile('Memory')).getByText('Unknown')).toBeInTheDocument();
  });

  it('shows thresholds and levels', async () => {
    await render({ getStatus: jest.fn().mockResolvedValue(criticalStatus) });
    await screen.findByTestId('model-health');
    expect(
      within(tile('Error rate')).getByText('Warning at 5 % · Critical at 10 %'),
    ).toBeInTheDocument();
    expect(
      within(tile('Response time (p95)')).getByText(
        'Warning at 5,000 ms · Critical at 10,000 ms',
      ),
    ).toBeInTheDocument();
    expect(
      within(tile('Throughput')).getByText('No threshold'),
    ).toBeInTheDocument();

    expect(within(tile('Error rate')).getByText('12.3 %')).toBeInTheDocument();
    expect(
      within(tile('Error rate')).getByText('Critical'),
    ).toBeInTheDocument();
    expect(
      within(tile('Error rate')).getByTestId('status-error'),
    ).toBeInTheDocument();
    expect(within(tile('CPU')).getByText('84 %')).toBeInTheDocument();
    expect(within(tile('CPU')).getByText('Warning')).toBeInTheDocument();
    expect(
      within(tile('CPU')).getByTestId('status-warning'),
    ).toBeInTheDocument();
    expect(within(tile('Memory')).getByText('OK')).toBeInTheDocument();
    expect(within(tile('Memory')).getByTestId('status-ok')).toBeInTheDocument();
  });

  it('charts the last hour by default and asks for the chosen range with the right step', async () => {
    const getMetrics = jest.fn().mockResolvedValue(metricsResponse());
    await render({ getMetrics });
    await waitFor(() => expect(getMetrics).toHaveBeenCalledTimes(1));
    const span = (call: number) => {
      const { from, to } = getMetrics.mock.calls[call][1];
      return new Date(to).getTime() - new Date(from).getTime();
    };
    expect(getMetrics.mock.calls[0][0]).toEqual(entity);
    expect(getMetrics.mock.calls[0][1].step).toBe(60);
    expect(span(0)).toBe(HOUR_MS);
    expect(screen.getByRole('button', { name: '1 h' })).toHaveAttribute(
      'aria-pressed',
      'true',
    );

    fireEvent.click(screen.getByRole('button', { name: '24 h' }));
    await waitFor(() => expect(getMetrics).toHaveBeenCalledTimes(2));
    expect(getMetrics.mock.calls[1][1].step).toBe(60);
    expect(span(1)).toBe(24 * HOUR_MS);
    expect(screen.getByRole('button', { name: '24 h' })).toHaveAttribute(
      'aria-pressed',
      'true',
    );

    fireEvent.click(screen.getByRole('button', { name: '7 d' }));
    await waitFor(() => expect(getMetrics).toHaveBeenCalledTimes(3));
    expect(getMetrics.mock.calls[2][1].step).toBe(3600);
    expect(span(2)).toBe(7 * 24 * HOUR_MS);
    expect(
      await screen.findByRole('img', { name: 'Throughput over the last 7 d' }),
    ).toBeInTheDocument();
  });

  it('draws the charted metrics with threshold lines where the status has them', async () => {
    await render();
    await screen.findByRole('img', { name: 'Throughput over the last 1 h' });
    for (const metric of [
      'throughput',
      'responseTimeP95',
      'errorRate',
      'cpu',
      'memory',
    ]) {
      expect(
        chart(metric).querySelector('.recharts-line-curve'),
      ).not.toBeNull();
    }
    const errorRate = chart('errorRate');
    expect(within(errorRate).getByText('Error rate (%)')).toBeInTheDocument();
    expect(
      within(errorRate).getByText('Warning at 5 % · Critical at 10 %'),
    ).toBeInTheDocument();
    expect(errorRate.querySelectorAll('.recharts-reference-line')).toHaveLength(
      2,
    );
    expect(
      within(errorRate).getByText('Warning', { selector: 'text, tspan' }),
    ).toBeInTheDocument();
    expect(
      within(errorRate).getByText('Critical', { selector: 'text, tspan' }),
    ).toBeInTheDocument();
    expect(
      chart('throughput').querySelectorAll('.recharts-reference-line'),
    ).toHaveLength(0);
  });

  it('says when a range has no samples', async () => {
    await render({
      getMetrics: jest
        .fn()
        .mockResolvedValue({ ...metricsResponse(), series: [] }),
    });
    await waitFor(() =>
      expect(
        within(chart('cpu')).getByText('No samples in this range'),
      ).toBeInTheDocument(),
    );
  });

  it('lists the firing, pending and recently resolved alerts', async () => {
    const listAlerts = jest.fn().mockResolvedValue({
      items: [resolvedAlert, oldResolvedAlert, pendingAlert, firingAlert],
    });
    await render({
      listAlerts,
      getStatus: jest.fn().mockResolvedValue(criticalStatus),
    });
    expect(await screen.findByText('high_error_rate')).toBeInTheDocument();
    expect(listAlerts).toHaveBeenCalledWith(entity);
    const rows = screen
      .getAllByRole('row')
      .filter(row => within(row).queryByText(/^high_/));
    expect(rows).toHaveLength(3);

    const [firing, pending, resolved] = rows;
    expect(within(firing).getByText('high_error_rate')).toBeInTheDocument();
    expect(within(firing).getByText('Critical')).toBeInTheDocument();
    expect(within(firing).getByText('Blue')).toBeInTheDocument();
    expect(within(firing).getByText('12.3 % vs 10 %')).toBeInTheDocument();
    expect(within(firing).getByText('5 minutes ago')).toBeInTheDocument();
    expect(within(firing).getByText('Firing')).toBeInTheDocument();
    expect(
      within(firing).getByRole('link', {
        name: /^Runbook for high_error_rate/,
      }),
    ).toHaveAttribute('href', firingAlert.runbook);

    expect(within(pending).getByText('high_cpu_usage')).toBeInTheDocument();
    expect(within(pending).getByText('Warning')).toBeInTheDocument();
    expect(within(pending).getByText('84 % vs 80 %')).toBeInTheDocument();
    expect(within(pending).getByText('Pending')).toBeInTheDocument();
    expect(within(pending).queryByRole('link')).not.toBeInTheDocument();

    expect(within(resolved).getByText('high_memory_usage')).toBeInTheDocument();
    expect(within(resolved).getByText('Green')).toBeInTheDocument();
    expect(within(resolved).getByText('88 % vs 85 %')).toBeInTheDocument();
    expect(within(resolved).getByText('Resolved')).toBeInTheDocument();
    expect(within(resolved).getByText('30 minutes ago')).toBeInTheDocument();

    expect(screen.queryByText('high_response_time')).not.toBeInTheDocument();
  });

  it('says when no alert fired recently', async () => {
    await render({
      listAlerts: jest.fn().mockResolvedValue({ items: [oldResolvedAlert] }),
    });
    expect(
      await screen.findByText('No alert has fired in the last 24 hours.'),
    ).toBeInTheDocument();
  });

  it('shows why the status could not load, and keeps the last answer when a refresh fails', async () => {
    jest.useFakeTimers();
    const getStatus = jest
      .fn()
      .mockResolvedValueOnce(healthyStatus)
      .mockRejectedValue(new Error('backend unavailable'));
    await render({ getStatus });
    expect(await screen.findByText('Healthy')).toBeInTheDocument();
    await act(async () => {
      jest.advanceTimersByTime(STATUS_POLL_MS);
    });
    expect(
      await screen.findByText(
        /Could not refresh the status: backend unavailable/,
      ),
    ).toBeInTheDocument();
    expect(within(header()).getByText('Healthy')).toBeInTheDocument();
    expect(within(tile('CPU')).getByText('35 %')).toBeInTheDocument();
  });

  it('shows an error when the first status fails', async () => {
    await render({
      getStatus: jest.fn().mockRejectedValue(new Error('backend unavailable')),
    });
    expect(
      (await screen.findAllByText(/backend unavailable/)).length,
    ).toBeGreaterThan(0);
    expect(
      screen.queryByRole('region', { name: 'CPU' }),
    ).not.toBeInTheDocument();
  });

  it('keeps the declared spec and its problems', async () => {
    await renderModelTab(<AlertsContent />, {
      getModel: jest.fn().mockResolvedValue(badModel),
    });
    expect(
      await screen.findByTestId('model-spec-problems'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/model-ops\/strategy must be one of blue-green/),
    ).toBeInTheDocument();
    expect(screen.getByText(/^rule set$/i)).toBeInTheDocument();
    // The default stubs answer as a backend that has collected nothing yet.
    expect(
      await within(await screen.findByTestId('model-health')).findByText(
        'Unknown',
      ),
    ).toBeInTheDocument();
  });

  it('refreshes the status every 15 s and the charts every 60 s, and stops on unmount', async () => {
    jest.useFakeTimers();
    const getStatus = jest
      .fn()
      .mockResolvedValueOnce(healthyStatus)
      .mockResolvedValue(criticalStatus);
    const listAlerts = jest.fn().mockResolvedValue({ items: [] });
    const getMetrics = jest.fn().mockResolvedValue(metricsResponse());
    const { unmount } = await render({ getStatus, listAlerts, getMetrics });
    expect(await screen.findByText('Healthy')).toBeInTheDocument();
    expect(getStatus).toHaveBeenCalledTimes(1);
    expect(getMetrics).toHaveBeenCalledTimes(1);

    await act(async () => {
      jest.advanceTimersByTime(STATUS_POLL_MS);
    });
    await waitFor(() => expect(getStatus).toHaveBeenCalledTimes(2));
    expect(listAlerts).toHaveBeenCalledTimes(2);
    expect(await within(header()).findByText('Critical')).toBeInTheDocument();
    expect(getMetrics).toHaveBeenCalledTimes(1);

    // Three more status periods make a minute: the charts refresh once.
    for (let i = 0; i < 3; i++) {
      await act(async () => {
        jest.advanceTimersByTime(STATUS_POLL_MS);
      });
    }
    await waitFor(() => expect(getMetrics).toHaveBeenCalledTimes(2));
    expect(getStatus).toHaveBeenCalledTimes(5);
    expect(listAlerts).toHaveBeenCalledTimes(5);

    unmount();
    await act(async () => {
      jest.advanceTimersByTime(METRICS_POLL_MS * 2);
    });
    expect(getStatus).toHaveBeenCalledTimes(5);
    expect(getMetrics).toHaveBeenCalledTimes(2);
  });

  it('pauses while the page is hidden and refreshes when it shows again', async () => {
    jest.useFakeTimers();
    const getStatus = jest.fn().mockResolvedValue(healthyStatus);
    const getMetrics = jest.fn().mockResolvedValue(metricsResponse());
    await render({ getStatus, getMetrics });
    await screen.findByText('Healthy');
    const hidden = jest.spyOn(document, 'hidden', 'get').mockReturnValue(true);
    try {
      await act(async () => {
        jest.advanceTimersByTime(METRICS_POLL_MS);
      });
      expect(getStatus).toHaveBeenCalledTimes(1);
      expect(getMetrics).toHaveBeenCalledTimes(1);

      hidden.mockReturnValue(false);
      await act(async () => {
        document.dispatchEvent(new Event('visibilitychange'));
      });
      await waitFor(() => expect(getStatus).toHaveBeenCalledTimes(2));
      await waitFor(() => expect(getMetrics).toHaveBeenCalledTimes(2));
    } finally {
      hidden.mockRestore();
    }
  });
});
