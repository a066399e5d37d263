import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { CapacityReport } from '@model-ops/plugin-model-ops-common';
import { renderModelTab } from '../../__testUtils__/renderModelTab';
import { deployedModel } from '../../__testUtils__/fixtures';
import { ModelOpsApi } from '../../api';
import { CapacityContent } from './CapacityContent';
import {
  PEAK_CELL,
  emptyReport,
  growingReport,
  insufficientReport,
} from './__fixtures__/capacityReports';

// jsdom lays nothing out, so ResponsiveContainer hands its chart a fixed 600×200 instead.
jest.mock('recharts', () =>
  require('../AlertsContent/__testUtils__/rechartsMock').rechartsMock(),
);

const entity = {
  kind: 'component',
  namespace: 'default',
  name: 'sentiment-classifier',
};

function render(api: Partial<ModelOpsApi> = {}) {
  return renderModelTab(<CapacityContent />, {
    getModel: jest.fn().mockResolvedValue(deployedModel),
    getCapacity: jest.fn().mockResolvedValue(growingReport),
    ...api,
  });
}

/** Renders and waits for the report's charts. */
async function renderReport(api: Partial<ModelOpsApi> = {}) {
  const rendered = await render(api);
  await screen.findByText('Request volume');
  return rendered;
}

const section = (id: string) => screen.getByTestId(`capacity-${id}`);
const figure = (label: string) => screen.getByRole('group', { name: label });
/** A table's row whose first cell (its header) reads `header`. */
function row(table: string, header: string): HTMLElement {
  const found = within(screen.getByRole('table', { name: table }))
    .getAllByRole('row')
    .find(r => r.firstElementChild?.textContent === header);
  if (!found) throw new Error(`No row ${header} in ${table}`);
  return found;
}
/** The texts of a row's cells after its header. */
const cells = (tr: HTMLElement) =>
  [...tr.children].slice(1).map(c => c.textContent);
const cardTitles = () =>
  [...document.querySelectorAll('.MuiCardHeader-title')].map(
    t => t.textContent,
  );

/** The text of a Blob, read the way a browser would. */
function blobText(blob: Blob): Promise<string> {
  if (typeof blob.text === 'function') return blob.text();
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result as string);
    reader.onerror = () => reject(reader.error);
    reader.readAsText(blob);
  });
}

describe('CapacityContent', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('asks for the 7-day report of the entity and shows every part of it', async () => {
    const getCapacity = jest.fn().mockResolvedValue(growingReport);
    await renderReport({ getCapacity });
    expect(getCapacity).toHaveBeenCalledTimes(1);
    expect(getCapacity).toHaveBeenCalledWith(entity, '7d');
    expect(cardTitles()).toEqual([
      'Capacity',
      'Request volume',
      'Recommendations',
      'Bottlenecks',
      'Projection',
      'Request profile',
      'Usage',
      'Cost',
    ]);
    for (const title of [
      'Requests per hour',
      'Requests per day and projection',
      'Utilization against limits',
      'Headroom to limits',
      'Growth',
      'Limit dates',
      'Horizons',
      'Right-sizing',
      'Requests by weekday and hour of day',
      'Request patterns',
      'By version',
      'Cost per day by version',
      'Cost model',
      'Cost by slot',
    ]) {
      expect(
        screen.getByRole('heading', { level: 3, name: title }),
      ).toBeInTheDocument();
    }
    expect(screen.getByRole('button', { name: '7 d' })).toHaveAttribute(
      'aria-pressed',
      'true',
    );
    expect(
      screen.getByText(
        'Mar 3, 12:00 AM – Mar 10, 12:00 AM (UTC), priced with the cost model gpu-small',
      ),
    ).toBeInTheDocument();
  });

  it('shows the totals, the cost model and the growth of the period', async () => {
    await renderReport();
    expect(within(figure('Requests')).getByText('167,397')).toBeInTheDocument();
    expect(
      within(figure('Requests')).getByText('996 an hour on average'),
    ).toBeInTheDocument();
    expect(within(figure('Cost')).getByText('$1,918.55')).toBeInTheDocument();
    expect(
      within(figure('Cost')).getByText('over the last 7 days'),
    ).toBeInTheDocument();
    expect(
      within(figure('Cost per request')).getByText('$0.0115'),
    ).toBeInTheDocument();
    expect(
      within(figure('Cost per day')).getByText('$274.08'),
    ).toBeInTheDocument();
    expect(
      within(figure('Growth per month')).getByText('+97.25 %'),
    ).toBeInTheDocument();
    expect(
      within(figure('Growth per month')).getByText('+22.69 % per week'),
    ).toBeInTheDocument();
    expect(
      within(figure('Projected monthly cost')).getByText('$12,343.35'),
    ).toBeInTheDocument();

    // The cost model: its name, prices and currency.
    expect(cells(row('Cost model', 'Name'))).toEqual(['gpu-small']);
    expect(cells(row('Cost model', 'Currency'))).toEqual(['USD']);
    expect(cells(row('Cost model', 'Per instance-hour'))).toEqual(['$3.20']);
    expect(cells(row('Cost model', 'Per GPU-hour'))).toEqual([
      '$2.50 × 1 GPU per instance',
    ]);
    expect(cells(row('Cost model', 'Per 1,000 requests'))).toEqual(['$0.02']);
    expect(cells(row('Cost model', 'Per 1,000 tokens'))).toEqual(['$0.002']);
    expect(
      screen.getByText(
        'tokens are not measured; the per-1,000-tokens price is not applied',
      ),
    ).toBeInTheDocument();

    // Request patterns and each version's share and cost.
    expect(cells(row('Request patterns', 'Peak hour'))).toEqual([
      '14:00 (UTC)',
    ]);
    expect(cells(row('Request patterns', 'Peak weekday'))).toEqual(['Friday']);
    expect(cells(row('Request patterns', 'Peak to average'))).toEqual([
      '1.64×',
    ]);
    expect(cells(row('Requests and cost by version', '1.5.0'))).toEqual([
      '53,650',
      '32.05 %',
      '$614.89',
      '$0.0115',
    ]);
    expect(cells(row('Cost by slot', 'blue'))).toEqual(['336', '$1,918.55']);

    // The fit: growth with R² and the method, horizons and right-sizing.
    expect(cells(row('Growth', 'Growth per week'))).toEqual(['+22.69 %']);
    expect(cells(row('Growth', 'R²'))).toEqual(['0.571']);
    expect(cells(row('Growth', 'Method'))).toEqual([
      'least-squares linear fit of daily request totals',
    ]);
    expect(cells(row('Growth', 'Trend'))).toEqual([
      '+859 requests a day, each day',
    ]);
    expect(cells(row('Horizons', '30 daysApr 8, 2025'))).toEqual([
      '52,25023,568 – 80,933',
      '3',
      '$12,343.35$12,326.14 – $12,360.56',
    ]);
    expect(cells(row('Horizons', '90 daysJun 7, 2025'))).toEqual([
      '103,77123,953 – 183,589',
      '5',
      '$20,582.26$20,534.37 – $20,630.15',
    ]);
    expect(
      within(section('right-sizing')).getByText(
        '3 instances needed at a 70 % target, against 2 now (add 1).',
      ),
    ).toBeInTheDocument();
  });

  it('shows the bottlenecks closest first, with how close and when the trend reaches them', async () => {
    await renderReport();
    const table = screen.getByRole('table', { name: 'Bottlenecks' });
    const resources = within(table)
      .getAllByRole('row')
      .map(r => r.firstElementChild?.textContent);
    expect(resources).toEqual(['Resource', 'CPU', 'Memory', 'Disk']);
    expect(cells(row('Bottlenecks', 'CPU'))).toEqual([
      '70.9 %',
      '83.3 %',
      '85 %',
      '98 %',
      '1.7 pp',
      'Near',
      'Mar 13, 2025',
    ]);
    expect(cells(row('Bottlenecks', 'Disk')).slice(-2)).toEqual([
      'OK',
      'not on this trend',
    ]);
    expect(
      within(table).getByRole('progressbar', {
        name: 'CPU: 98 % of the limit',
      }),
    ).toHaveAttribute('aria-valuenow', '98');
    expect(cells(row('Limit dates', 'Memory'))).toEqual([
      '85 %',
      'May 27, 2025',
    ]);
  });

  it('shows the recommendations with their texts, highest priority first', async () => {
    await renderReport();
    const items = screen.getAllByRole('article');
    expect(items.map(i => within(i).getByRole('heading').textContent)).toEqual([
      'High CPU utilization',
      'Rapid growth in requests',
      'High cost per request',
      'Run 3 instances instead of 2',
    ]);
    const cpu = screen.getByRole('article', { name: 'High CPU utilization' });
    expect(within(cpu).getByText('high priority')).toBeInTheDocument();
    expect(within(cpu).getByText('Scaling')).toBeInTheDocument();
    expect(
      within(cpu).getByText(
        'CPU averages 70.9 % over the last 7 days, above the 70 % threshold.',
      ),
    ).toBeInTheDocument();
    expect(cpu).toHaveTextContent(
      'Action: Scale out to more instances or optimize the model for inference.',
    );
    expect(cpu).toHaveTextContent(
      'Expected impact: Lower response times and room for the projected load.',
    );
    expect(cpu).toHaveTextContent('Act by: Mar 13, 2025');
    expect(
      within(
        within(cpu).getByRole('list', {
          name: 'Figures behind: High CPU utilization',
        }),
      )
        .getAllByRole('listitem')
        .map(f => f.textContent),
    ).toEqual(['cpu average: 70.9', 'cpu p95: 83.3', 'threshold: 70']);

    const cost = screen.getByRole('article', { name: 'High cost per request' });
    expect(within(cost).getByText('medium priority')).toBeInTheDocument();
    expect(within(cost).getByText('Cost optimization')).toBeInTheDocument();
    expect(cost).not.toHaveTextContent('Act by');
    expect(
      within(
        screen.getByRole('article', { name: 'Run 3 instances instead of 2' }),
      ).getByText('Right-sizing'),
    ).toBeInTheDocument();
  });

  it('shows the weekday by hour profile as a labelled heat map with its peak', async () => {
    await renderReport();
    const map = screen.getByRole('table', {
      name: 'Average requests per hour by weekday and hour of day',
    });
    // 7 weekdays of 24 hours, and the average hour of each hour of the day.
    expect(
      within(map).getAllByRole('cell', { name: /requests on average over/ }),
    ).toHaveLength(7 * 24);
    expect(PEAK_CELL).toMatchObject({ weekday: 5, hour: 14 });
    const peak = within(map).getByRole('cell', {
      name: 'Friday 14:00: 1,633 requests on average over 1 hour (peak)',
    });
    expect(peak).toHaveAttribute('data-peak', 'true');
    expect(map.querySelectorAll('[data-peak]')).toHaveLength(1);
    expect(
      within(map).getByRole('cell', {
        name: /^Any day 14:00: .* requests on average \(peak hour\)$/,
      }),
    ).toBeInTheDocument();
    expect(cells(row(map.getAttribute('aria-label')!, 'Friday')).pop()).toBe(
      '27,401',
    );
    expect(
      within(section('profile')).getByText(
        'Busiest: Friday 14:00, with 1,633 requests an hour on average; the busiest hour is 1.64× the average hour.',
      ),
    ).toBeInTheDocument();
    const legend = within(section('profile')).getByRole('group', {
      name: 'Legend',
    });
    expect(legend).toHaveTextContent('1,633 requests an hour');
    expect(legend).toHaveTextContent('no hours in this period');
  });

  it('charts the request volume with its projection and band, utilization against limits and cost by version', async () => {
    await renderReport();
    const hourly = within(section('requests-per-hour')).getByRole('img', {
      name: 'Requests per hour over the last 7 days',
    });
    expect(hourly.querySelector('.recharts-area-area')).not.toBeNull();
    // The seeded hours (the first five days, one run) are shaded.
    expect(hourly.querySelectorAll('.recharts-reference-area')).toHaveLength(1);

    const projection = within(section('requests-projection')).getByRole('img', {
      name: 'Requests per day, fitted and projected',
    });
    expect(projection.querySelector('.recharts-area-area')).not.toBeNull();
    expect(projection.querySelectorAll('.recharts-line-curve')).toHaveLength(2);
    expect(projection).toHaveTextContent('Prediction interval');
    expect(projection).toHaveTextContent('Fit and projection');
    expect(projection).toHaveTextContent('Today');

    const utilization = within(section('utilization')).getByRole('img');
    expect(utilization.querySelectorAll('.recharts-line-curve')).toHaveLength(
      3,
    );
    expect(
      utilization.querySelectorAll('.recharts-reference-line'),
    ).toHaveLength(3);
    expect(utilization).toHaveTextContent('CPU limit');
    expect(
      within(section('utilization')).getByText(
        "Limits (the rule set's warning levels): CPU 85 %, Memory 85 %, Disk 90 %",
      ),
    ).toBeInTheDocument();

    const cost = within(section('cost-per-day')).getByRole('img', {
      name: 'Cost per day, stacked by version',
    });
    // 7 days of 1.4.0 and 3 of 1.5.0.
    expect(cost.querySelectorAll('.recharts-bar-rectangle path')).toHaveLength(
      10,
    );
    expect(cost).toHaveTextContent('1.4.0');
    expect(cost).toHaveTextContent('1.5.0');
  });

  it('says which part of the period is seeded demo history', async () => {
    await renderReport();
    const banner = screen.getByTestId('capacity-seeded');
    expect(banner).toHaveTextContent('Seeded demo history.');
    expect(banner).toHaveTextContent(
      'The samples from Mar 3, 2025, 12:00 AM to Mar 8, 2025, 12:00 AM were seeded, not measured: demo traffic pattern run through ingestion in accelerated time at start-up',
    );
    expect(banner).toHaveTextContent(
      '120 of the 168 hours shown are seeded; the charts shade them.',
    );
    expect(
      within(section('requests-per-hour')).getByText(
        'All slots, in UTC; shaded hours are seeded demo history',
      ),
    ).toBeInTheDocument();
  });

  it('gives the reason instead of numbers when the history is too short', async () => {
    await renderReport({
      getCapacity: jest.fn().mockResolvedValue(insufficientReport),
    });
    expect(
      within(section('requests-projection')).getByText(
        'not enough data (2 days of 3 needed)',
      ),
    ).toBeInTheDocument();
    expect(
      within(section('requests-projection')).queryByRole('img'),
    ).not.toBeInTheDocument();
    expect(
      within(section('requests-projection')).queryByRole('button'),
    ).not.toBeInTheDocument();
    expect(
      screen.getByTestId('capacity-projection-insufficient'),
    ).toHaveTextContent('not enough data (2 days of 3 needed).');
    for (const title of ['Growth', 'Limit dates', 'Horizons', 'Right-sizing']) {
      expect(
        screen.queryByRole('heading', { level: 3, name: title }),
      ).not.toBeInTheDocument();
    }
    expect(
      within(figure('Growth per month')).getByText('not enough data'),
    ).toBeInTheDocument();
    expect(
      within(figure('Projected monthly cost')).getByText('—'),
    ).toBeInTheDocument();
    expect(screen.queryByTestId('capacity-seeded')).not.toBeInTheDocument();
    expect(
      screen.getByText(
        'No recommendations: utilization, cost per request and growth are within the thresholds.',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('button', { name: 'Download recommendations as CSV' }),
    ).toBeDisabled();
    // The usage of the day is still shown.
    expect(
      within(section('requests-per-hour')).getByRole('img'),
    ).toBeInTheDocument();
  });

  it('fetches the report again for another period', async () => {
    const monthly: CapacityReport = {
      ...growingReport,
      period: '30d',
      requests: { ...growingReport.requests, total: 734_512 },
    };
    const getCapacity = jest.fn(async (_: unknown, period?: string) =>
      period === '30d' ? monthly : growingReport,
    );
    await renderReport({ getCapacity });
    expect(within(figure('Requests')).getByText('167,397')).toBeInTheDocument();

    fireEvent.click(screen.getByRole('button', { name: '30 d' }));
    expect(
      await within(figure('Requests')).findByText('734,512'),
    ).toBeInTheDocument();
    expect(getCapacity).toHaveBeenCalledTimes(2);
    expect(getCapacity).toHaveBeenLastCalledWith(entity, '30d');
    expect(screen.getByRole('button', { name: '30 d' })).toHaveAttribute(
      'aria-pressed',
      'true',
    );
    expect(
      within(figure('Cost')).getByText('over the last 30 days'),
    ).toBeInTheDocument();

    fireEvent.click(screen.getByRole('button', { name: '24 h' }));
    await waitFor(() =>
      expect(getCapacity).toHaveBeenLastCalledWith(entity, '24h'),
    );
  });

  it('shows the error of a period that failed, not the report of the previous one', async () => {
    const getCapacity = jest.fn(async (_: unknown, period?: string) => {
      if (period === '30d') throw new Error('the database timed out');
      return growingReport;
    });
    await renderReport({ getCapacity });
    fireEvent.click(screen.getByRole('button', { name: '30 d' }));
    expect(
      await screen.findByText(/Could not load the capacity report/),
    ).toBeInTheDocument();
    expect(screen.getByText('the database timed out')).toBeInTheDocument();
    expect(screen.queryByText('Request volume')).not.toBeInTheDocument();
  });

  it('shows an error when the report cannot be loaded', async () => {
    await render({
      getCapacity: jest.fn().mockRejectedValue(new Error('backend down')),
    });
    expect(
      await screen.findByText(/Could not load the capacity report/),
    ).toBeInTheDocument();
    expect(screen.getByText('backend down')).toBeInTheDocument();
  });

  it('says so when nothing is stored for the period', async () => {
    await render({ getCapacity: jest.fn().mockResolvedValue(emptyReport) });
    expect(
      await screen.findByText('No usage stored for the last 24 hours'),
    ).toBeInTheDocument();
    expect(screen.queryByText('Request volume')).not.toBeInTheDocument();
  });

  it('downloads the series a chart shows as CSV', async () => {
    const blobs: Blob[] = [];
    const createObjectURL = jest.fn((blob: Blob) => {
      blobs.push(blob);
      return 'blob:capacity-1';
    });
    Object.assign(URL, { createObjectURL, revokeObjectURL: jest.fn() });
    const clicked: Array<{ href: string; download: string }> = [];
    jest
      .spyOn(HTMLAnchorElement.prototype, 'click')
      .mockImplementation(function click(this: HTMLAnchorElement) {
        clicked.push({ href: this.href, download: this.download });
      });
    await renderReport();

    fireEvent.click(
      screen.getByRole('button', { name: 'Download requests per hour as CSV' }),
    );
    expect(clicked).toEqual([
      {
        href: 'blob:capacity-1',
        download: 'sentiment-classifier-capacity-7d-requests-per-hour.csv',
      },
    ]);
    expect(blobs[0].type).toBe('text/csv;charset=utf-8');
    const lines = (await blobText(blobs[0])).split('\r\n');
    expect(lines[0].replace(/^\ufeff/, '')).toBe('timestamp,requests,seeded');
    expect(lines[1]).toBe(
      `2025-03-03T00:00:00.000Z,${growingReport.hours[0].requests},true`,
    );
    expect(lines[168]).toBe(
      `2025-03-09T23:00:00.000Z,${growingReport.hours[167].requests},false`,
    );
    expect(lines).toHaveLength(1 + 168 + 1);
  });
});
