import {
  bottlenecksCsv,
  costBySlotCsv,
  costDailyCsv,
  csvCell,
  csvFileName,
  horizonsCsv,
  hourlyRequestsCsv,
  isoTimestamp,
  profileCsv,
  profileMarginsCsv,
  projectionCsv,
  recommendationsCsv,
  toCsv,
  utilizationCsv,
  utilizationSummaryCsv,
  versionsCsv,
} from './csv';
import {
  CPU_LIMIT_DATE,
  growingReport,
  insufficientReport,
} from './__fixtures__/capacityReports';

const lines = (text: string) => text.split('\r\n');

describe('csv', () => {
  it('writes a header row, then one CRLF-ended line per row', () => {
    expect(
      toCsv({
        columns: ['timestamp', 'requests', 'seeded'],
        rows: [
          ['2025-03-03T00:00:00.000Z', 712, true],
          ['2025-03-03T01:00:00.000Z', 0.5, false],
        ],
      }),
    ).toBe(
      'timestamp,requests,seeded\r\n' +
        '2025-03-03T00:00:00.000Z,712,true\r\n' +
        '2025-03-03T01:00:00.000Z,0.5,false\r\n',
    );
    expect(toCsv({ columns: ['a', 'b'], rows: [] })).toBe('a,b\r\n');
  });

  it('quotes what needs quoting and leaves the rest alone', () => {
    expect(csvCell('plain text')).toBe('plain text');
    expect(csvCell('a, b')).toBe('"a, b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(null)).toBe('');
    expect(csvCell(Number.NaN)).toBe('');
    expect(csvCell(-12.5)).toBe('-12.5');
    expect(csvCell(0.000123)).toBe('0.000123');
  });

  it('keeps text a spreadsheet would run as a formula from running', () => {
    expect(csvCell('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('-rc1')).toBe("'-rc1");
    expect(csvCell('@sum')).toBe("'@sum");
    expect(csvCell('1.5.0')).toBe('1.5.0');
  });

  it('writes moments as ISO 8601 UTC timestamps', () => {
    expect(isoTimestamp('2025-03-03T01:00:00+01:00')).toBe(
      '2025-03-03T00:00:00.000Z',
    );
    expect(isoTimestamp('not a time')).toBe('not a time');
  });

  it('exports the requests per hour with the seeded hours marked', () => {
    const text = toCsv(hourlyRequestsCsv(growingReport));
    const [header, first, ...rest] = lines(text);
    expect(header).toBe('timestamp,requests,seeded');
    expect(first).toBe(
      `2025-03-03T00:00:00.000Z,${growingReport.hours[0].requests},true`,
    );
    // 168 hours and the empty string after the last line end.
    expect(rest).toHaveLength(167 + 1);
    expect(rest[118]).toMatch(/^2025-03-07T23:00:00.000Z,\d+,true$/);
    expect(rest[119]).toMatch(/^2025-03-08T00:00:00.000Z,\d+,false$/);
  });

  it('exports the daily requests with the fit and its interval, measured days first', () => {
    const table = projectionCsv(growingReport.projection);
    expect(table.columns).toEqual(['date', 'actual', 'fit', 'low', 'high']);
    expect(table.rows).toHaveLength(7 + 90);
    const [first] = growingReport.projection.series!;
    expect(table.rows[0]).toEqual([
      '2025-03-03',
      first.actual,
      first.requests,
      first.low,
      first.high,
    ]);
    // Projected days have no measurement: the cell is empty.
    expect(lines(toCsv(table))[8]).toMatch(/^2025-03-10,,\d+,\d+,\d+$/);
    expect(projectionCsv(insufficientReport.projection).rows).toEqual([]);
  });

  it('exports utilization per hour with each limit on every row', () => {
    const table = utilizationCsv(growingReport);
    expect(table.columns).toEqual([
      'timestamp',
      'cpu_percent',
      'memory_percent',
      'disk_percent',
      'cpu_limit_percent',
      'memory_limit_percent',
      'disk_limit_percent',
      'seeded',
    ]);
    const hour = growingReport.hours[0];
    expect(table.rows[0]).toEqual([
      '2025-03-03T00:00:00.000Z',
      hour.cpu,
      hour.memory,
      hour.disk,
      85,
      85,
      90,
      true,
    ]);
    // A resource no rule watches has an empty limit column.
    const unwatched = utilizationCsv({
      hours: [{ t: '2025-03-03T00:00:00Z', requests: 1, cpu: 40 }],
      utilization: [{ resource: 'cpu', average: 40, p95: 40 }],
    });
    expect(lines(toCsv(unwatched))[1]).toBe(
      '2025-03-03T00:00:00.000Z,40,,,,,,false',
    );
  });

  it('exports the utilization summary, overall and per slot', () => {
    const table = utilizationSummaryCsv(growingReport);
    expect(table.rows[0]).toEqual([
      'cpu',
      'overall',
      growingReport.utilization[0].average,
      growingReport.utilization[0].p95,
      85,
    ]);
    expect(table.rows[3].slice(0, 2)).toEqual(['cpu', 'blue']);
    expect(table.rows[3][4]).toBeUndefined();
  });

  it('exports cost per day and version, with the currency', () => {
    const text = toCsv(costDailyCsv(growingReport.cost));
    const [header, first] = lines(text);
    expect(header).toBe('date,version,cost,currency');
    expect(first).toBe(
      `2025-03-03,1.4.0,${growingReport.cost.daily[0].cost},USD`,
    );
    expect(lines(text)).toHaveLength(1 + 4 + 3 * 2 + 1);
    expect(costBySlotCsv(growingReport.cost).rows).toEqual([
      ['blue', growingReport.cost.total, 336, 'USD'],
    ]);
  });

  it('exports requests and cost by version', () => {
    const table = versionsCsv(growingReport);
    expect(table.rows.map(r => r[0])).toEqual(['1.4.0', '1.5.0']);
    expect(table.rows[1]).toEqual([
      '1.5.0',
      53650,
      0.3205,
      614.89,
      growingReport.cost.byVersion[1].perRequest,
      'USD',
    ]);
  });

  it('exports the profile as 168 cells, Monday 00:00 first, and its margins', () => {
    const table = profileCsv({
      profile: [...growingReport.requests.profile].reverse(),
    });
    expect(table.columns).toEqual([
      'weekday',
      'weekday_name',
      'hour',
      'requests',
      'samples',
    ]);
    expect(table.rows).toHaveLength(168);
    expect(table.rows[0].slice(0, 3)).toEqual([1, 'Monday', 0]);
    expect(table.rows[4 * 24 + 14]).toEqual([5, 'Friday', 14, 1633, 1]);
    const margins = profileMarginsCsv(growingReport.requests);
    expect(margins.rows).toHaveLength(24 + 7);
    expect(margins.rows[24]).toEqual([
      'average_per_weekday',
      1,
      'Monday',
      undefined,
      growingReport.requests.byWeekday[0].requests,
    ]);
  });

  it('exports the bottlenecks with their limit dates', () => {
    const table = bottlenecksCsv(growingReport);
    expect(table.rows.map(r => r[0])).toEqual(['cpu', 'memory', 'disk']);
    expect(table.rows[0].slice(-3)).toEqual(['near', CPU_LIMIT_DATE, false]);
    expect(lines(toCsv(table))[3]).toMatch(/^disk,.*,ok,,false$/);
  });

  it('exports the horizons with the currency', () => {
    const table = horizonsCsv(growingReport.projection, 'USD');
    expect(table.rows.map(r => r[0])).toEqual([30, 90]);
    expect(table.rows[0].slice(-2)).toEqual([12360.56, 'USD']);
  });

  it('exports the recommendations with the figures that triggered them', () => {
    const text = toCsv(recommendationsCsv(growingReport.recommendations));
    const [header, first] = lines(text);
    expect(header).toBe(
      'priority,type,id,title,description,action,expected_impact,act_by,figures',
    );
    expect(first).toBe(
      'high,scaling,high-cpu,High CPU utilization,' +
        '"CPU averages 70.9 % over the last 7 days, above the 70 % threshold.",' +
        'Scale out to more instances or optimize the model for inference.,' +
        'Lower response times and room for the projected load.,' +
        `${CPU_LIMIT_DATE},cpuAverage=70.9; cpuP95=83.3; threshold=70`,
    );
  });

  it('names a file after the model, the period and the series', () => {
    expect(csvFileName(growingReport, 'requests-per-hour')).toBe(
      'sentiment-classifier-capacity-7d-requests-per-hour.csv',
    );
    expect(
      csvFileName(
        { entityRef: 'component:default/My Model', period: '30d' },
        'cost',
      ),
    ).toBe('my-model-capacity-30d-cost.csv');
  });
});
