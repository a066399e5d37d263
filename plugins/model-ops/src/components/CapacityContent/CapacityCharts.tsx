import { useMemo } from 'react';
import {
  CapacityHourPoint,
  CapacityReport,
} from '@model-ops/plugin-model-ops-common';
import Box from '@material-ui/core/Box';
import { useTheme } from '@material-ui/core/styles';
import {
  blue,
  deepOrange,
  green,
  indigo,
  pink,
  purple,
  teal,
  amber,
} from '@material-ui/core/colors';
import {
  Area,
  AreaChart,
  Bar,
  BarChart,
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  LineChart,
  ReferenceArea,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { CHART_HEIGHT, ChartSection, NoChartData } from './ChartSection';
import {
  CSV_RESOURCES,
  costDailyCsv,
  csvFileName,
  hourlyRequestsCsv,
  projectionCsv,
  utilizationCsv,
} from './csv';
import {
  formatDate,
  formatMoney,
  formatNumber,
  formatPercent,
  momentFormatter,
  periodLabel,
  resourceTitle,
} from './format';

const AXIS_TICK = { fontSize: 11 };
const MARGIN = { top: 8, right: 16, bottom: 0, left: 0 };

/** Colours of the versions in the cost chart, in the order the report lists them. */
const VERSION_COLORS = [
  blue[600],
  amber[700],
  green[600],
  purple[400],
  teal[500],
  pink[400],
  indigo[300],
  deepOrange[400],
];

/** The seeded hours as runs of consecutive hours, for shading: [start, end of the last hour]. */
export function seededRuns(
  hours: CapacityHourPoint[],
): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  for (const hour of hours) {
    if (!hour.seeded) continue;
    const t = Date.parse(hour.t);
    const last = runs[runs.length - 1];
    if (last && t - last[1] <= 3_600_000) {
      last[1] = t;
    } else {
      runs.push([t, t]);
    }
  }
  return runs;
}

function useResourceColors() {
  const theme = useTheme();
  return {
    cpu: theme.palette.primary.main,
    memory: theme.palette.secondary.main,
    disk: green[600],
  };
}

function hourTicks(report: CapacityReport) {
  return report.period === '24h'
    ? momentFormatter(report.timeZone, { hour: '2-digit', minute: '2-digit' })
    : momentFormatter(report.timeZone, { month: 'short', day: 'numeric' });
}

function hourLabels(report: CapacityReport) {
  return momentFormatter(report.timeZone, {
    weekday: 'short',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
}

/** Requests answered per hour over the period (all slots), seeded hours shaded. */
export function RequestsPerHourChart(props: { report: CapacityReport }) {
  const { report } = props;
  const theme = useTheme();
  const data = useMemo(
    () => report.hours.map(h => ({ t: Date.parse(h.t), requests: h.requests })),
    [report.hours],
  );
  const runs = useMemo(() => seededRuns(report.hours), [report.hours]);
  const domain: [number, number] = [
    Date.parse(report.from),
    Date.parse(report.to),
  ];
  return (
    <ChartSection
      id="requests-per-hour"
      title="Requests per hour"
      caption={`All slots, in ${report.timeZone}${
        runs.length ? '; shaded hours are seeded demo history' : ''
      }`}
      csv={[
        {
          label: 'requests per hour',
          fileName: csvFileName(report, 'requests-per-hour'),
          table: () => hourlyRequestsCsv(report),
        },
      ]}
    >
      {data.length === 0 ? (
        <NoChartData>No requests stored in this period</NoChartData>
      ) : (
        <Box
          role="img"
          aria-label={`Requests per hour over the last ${periodLabel(
            report.period,
          )}`}
        >
          <ResponsiveContainer width="100%" height={CHART_HEIGHT}>
            <AreaChart data={data} margin={MARGIN}>
              <CartesianGrid
                strokeDasharray="3 3"
                stroke={theme.palette.divider}
              />
              <XAxis
                dataKey="t"
                type="number"
                scale="time"
                domain={domain}
                tickFormatter={hourTicks(report)}
                tick={AXIS_TICK}
                minTickGap={24}
              />
              <YAxis
                width={56}
                tick={AXIS_TICK}
                tickFormatter={(v: number) => formatNumber(v)}
              />
              <Tooltip
                labelFormatter={hourLabels(report)}
                formatter={(v: number) => [formatNumber(v), 'Requests']}
              />
              {runs.map(([start, end]) => (
                <ReferenceArea
                  key={start}
                  x1={start}
                  x2={end + 3_600_000}
                  ifOverflow="hidden"
                  fill={theme.palette.action.disabledBackground}
                  fillOpacity={0.5}
                  label={{
                    value: 'Seeded',
                    position: 'insideTopLeft',
                    fontSize: 11,
                  }}
                />
              ))}
              <Area
                type="monotone"
                dataKey="requests"
                name="Requests"
                stroke={theme.palette.primary.main}
                fill={theme.palette.primary.light}
                fillOpacity={0.3}
                isAnimationActive={false}
              />
            </AreaChart>
          </ResponsiveContainer>
        </Box>
      )}
    </ChartSection>
  );
}

/**
 * Daily requests: the measured days, the least-squares fit through them and on for 90 days, and
 * the prediction interval as a band. Too short a history shows the report's reason instead.
 */
export function ProjectionChart(props: { report: CapacityReport }) {
  const { report } = props;
  const { projection } = report;
  const theme = useTheme();
  const { series } = projection;
  const data = useMemo(
    () =>
      (series ?? []).map(p => ({
        date: p.date,
        fit: p.requests,
        band: [p.low, p.high] as [number, number],
        actual: p.actual,
      })),
    [series],
  );
  // Where measurement ends and projection begins.
  const lastMeasured = [...(series ?? [])]
    .reverse()
    .find(p => p.actual !== undefined);
  const confidence =
    projection.confidence !== undefined
      ? `${formatNumber(projection.confidence * 100)} % prediction interval`
      : 'prediction interval';
  return (
    <ChartSection
      id="requests-projection"
      title="Requests per day and projection"
      caption={
        projection.status === 'ok'
          ? `Measured days, the fit and the next 90 days with its ${confidence}`
          : undefined
      }
      csv={
        projection.status === 'ok'
          ? [
              {
                label: 'daily requests and projection',
                fileName: csvFileName(report, 'requests-projection'),
                table: () => projectionCsv(projection),
              },
            ]
          : undefined
      }
    >
      {projection.status !== 'ok' || data.length === 0 ? (
        <NoChartData>
          {projection.message ??
            `not enough data (${projection.daysAvailable} days of ${projection.daysNeeded} needed)`}
        </NoChartData>
      ) : (
        <Box role="img" aria-label="Requests per day, fitted and projected">
          <ResponsiveContainer width="100%" height={CHART_HEIGHT}>
            <ComposedChart data={data} margin={MARGIN}>
              <CartesianGrid
                strokeDasharray="3 3"
                stroke={theme.palette.divider}
              />
              <XAxis
                dataKey="date"
                tickFormatter={formatDate}
                tick={AXIS_TICK}
                minTickGap={24}
              />
              <YAxis
                width={64}
                tick={AXIS_TICK}
                tickFormatter={(v: number) => formatNumber(v)}
              />
              <Tooltip
                labelFormatter={formatDate}
                formatter={(v: number | [number, number], name: string) => [
                  Array.isArray(v)
                    ? `${formatNumber(v[0])} – ${formatNumber(v[1])}`
                    : formatNumber(v),
                  name,
                ]}
              />
              <Legend wrapperStyle={{ fontSize: 12 }} />
              <Area
                type="monotone"
                dataKey="band"
                name="Prediction interval"
                stroke="none"
                fill={theme.palette.primary.light}
                fillOpacity={0.25}
                isAnimationActive={false}
              />
              <Line
                type="monotone"
                dataKey="fit"
                name="Fit and projection"
                stroke={theme.palette.primary.main}
                strokeDasharray="6 3"
                dot={false}
                isAnimationActive={false}
              />
              <Line
                type="monotone"
                dataKey="actual"
                name="Measured"
                stroke={theme.palette.text.primary}
                dot={{ r: 2 }}
                connectNulls={false}
                isAnimationActive={false}
              />
              {lastMeasured && (
                <ReferenceLine
                  x={lastMeasured.date}
                  stroke={theme.palette.text.secondary}
                  label={{
                    value: 'Today',
                    position: 'insideTopRight',
                    fontSize: 11,
                  }}
                />
              )}
            </ComposedChart>
          </ResponsiveContainer>
        </Box>
      )}
    </ChartSection>
  );
}

/** CPU, memory and disk per hour in percent, each with a dashed line at its limit. */
export function UtilizationChart(props: { report: CapacityReport }) {
  const { report } = props;
  const theme = useTheme();
  const colors = useResourceColors();
  const data = useMemo(
    () =>
      report.hours.map(h => ({
        t: Date.parse(h.t),
        cpu: h.cpu,
        memory: h.memory,
        disk: h.disk,
      })),
    [report.hours],
  );
  const charted = CSV_RESOURCES.filter(r =>
    report.hours.some(h => h[r] !== undefined),
  );
  const limits = CSV_RESOURCES.map(resource => ({
    resource,
    limit: report.utilization.find(u => u.resource === resource && !u.slot)
      ?.limit,
  })).filter(l => l.limit !== undefined);
  const domain: [number, number] = [
    Date.parse(report.from),
    Date.parse(report.to),
  ];
  return (
    <ChartSection
      id="utilization"
      title="Utilization against limits"
      caption={
        limits.length
          ? `Limits (the rule set's warning levels): ${limits
              .map(
                l => `${resourceTitle(l.resource)} ${formatPercent(l.limit)}`,
              )
              .join(', ')}`
          : 'No rule watches these resources, so no limits are drawn'
      }
      csv={[
        {
          label: 'utilization per hour',
          fileName: csvFileName(report, 'utilization'),
          table: () => utilizationCsv(report),
        },
      ]}
    >
      {charted.length === 0 ? (
        <NoChartData>No utilization stored in this period</NoChartData>
      ) : (
        <Box
          role="img"
          aria-label="CPU, memory and disk utilization per hour, with limits"
        >
          <ResponsiveContainer width="100%" height={CHART_HEIGHT}>
            <LineChart data={data} margin={MARGIN}>
              <CartesianGrid
                strokeDasharray="3 3"
                stroke={theme.palette.divider}
              />
              <XAxis
                dataKey="t"
                type="number"
                scale="time"
                domain={domain}
                tickFormatter={hourTicks(report)}
                tick={AXIS_TICK}
                minTickGap={24}
              />
              <YAxis
                width={48}
                domain={[0, 100]}
                tick={AXIS_TICK}
                tickFormatter={(v: number) => `${v} %`}
              />
              <Tooltip
                labelFormatter={hourLabels(report)}
                formatter={(v: number, name: string) => [
                  formatPercent(v),
                  name,
                ]}
              />
              <Legend wrapperStyle={{ fontSize: 12 }} />
              {charted.map(resource => (
                <Line
                  key={resource}
                  type="monotone"
                  dataKey={resource}
                  name={resourceTitle(resource)}
                  stroke={colors[resource]}
                  dot={false}
                  isAnimationActive={false}
                />
              ))}
              {limits.map(({ resource, limit }) => (
                <ReferenceLine
                  key={resource}
                  y={limit}
                  ifOverflow="extendDomain"
                  stroke={colors[resource]}
                  strokeDasharray="6 3"
                  label={{
                    value: `${resourceTitle(resource)} limit`,
                    position: 'insideTopLeft',
                    fontSize: 11,
                  }}
                />
              ))}
            </LineChart>
          </ResponsiveContainer>
        </Box>
      )}
    </ChartSection>
  );
}

/** The versions of a report's cost, in the order it lists them, then any only in the days. */
export function costVersions(cost: CapacityReport['cost']): string[] {
  const versions = cost.byVersion.map(v => v.version);
  for (const day of cost.daily) {
    if (!versions.includes(day.version)) versions.push(day.version);
  }
  return versions;
}

/** Cost per day, one stacked bar segment per version. */
export function CostPerDayChart(props: { report: CapacityReport }) {
  const { report } = props;
  const { cost } = report;
  const theme = useTheme();
  const versions = useMemo(() => costVersions(cost), [cost]);
  // Versions are keyed by position: recharts reads a dotted key such as 1.5.0 as a path.
  const data = useMemo(() => {
    const byDate = new Map<string, Record<string, number | string>>();
    for (const day of cost.daily) {
      const row = byDate.get(day.date) ?? { date: day.date };
      const key = `v${versions.indexOf(day.version)}`;
      row[key] = ((row[key] as number | undefined) ?? 0) + day.cost;
      byDate.set(day.date, row);
    }
    return [...byDate.values()].sort((a, b) =>
      String(a.date).localeCompare(String(b.date)),
    );
  }, [cost.daily, versions]);
  return (
    <ChartSection
      id="cost-per-day"
      title="Cost per day by version"
      caption={`In ${cost.currency}, from the cost model ${report.costModel.name}`}
      csv={[
        {
          label: 'cost per day by version',
          fileName: csvFileName(report, 'cost-per-day'),
          table: () => costDailyCsv(cost),
        },
      ]}
    >
      {data.length === 0 ? (
        <NoChartData>No cost in this period</NoChartData>
      ) : (
        <Box role="img" aria-label="Cost per day, stacked by version">
          <ResponsiveContainer width="100%" height={CHART_HEIGHT}>
            <BarChart data={data} margin={MARGIN}>
              <CartesianGrid
                strokeDasharray="3 3"
                stroke={theme.palette.divider}
              />
              <XAxis
                dataKey="date"
                tickFormatter={formatDate}
                tick={AXIS_TICK}
              />
              <YAxis
                width={64}
                tick={AXIS_TICK}
                tickFormatter={(v: number) => formatMoney(v, cost.currency)}
              />
              <Tooltip
                labelFormatter={formatDate}
                formatter={(v: number, name: string) => [
                  formatMoney(v, cost.currency),
                  name,
                ]}
              />
              <Legend wrapperStyle={{ fontSize: 12 }} />
              {versions.map((version, i) => (
                <Bar
                  key={version}
                  dataKey={`v${i}`}
                  name={version}
                  stackId="cost"
                  fill={VERSION_COLORS[i % VERSION_COLORS.length]}
                  isAnimationActive={false}
                />
              ))}
            </BarChart>
          </ResponsiveContainer>
        </Box>
      )}
    </ChartSection>
  );
}
