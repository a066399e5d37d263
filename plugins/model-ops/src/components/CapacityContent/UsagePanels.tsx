import { CapacityReport } from '@model-ops/plugin-model-ops-common';
import Box from '@material-ui/core/Box';
import Grid from '@material-ui/core/Grid';
import Paper from '@material-ui/core/Paper';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { ChartSection } from './ChartSection';
import { FactsTable } from './FactsTable';
import { costBySlotCsv, csvFileName, versionsCsv } from './csv';
import {
  formatGrowth,
  formatMoney,
  formatNumber,
  formatShare,
  hourLabel,
  periodLabel,
  weekdayName,
} from './format';

/** One headline figure of the period. */
function Figure(props: { label: string; value: string; detail?: string }) {
  const id = `model-ops-capacity-figure-${props.label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')}`;
  return (
    <Paper variant="outlined" role="group" aria-labelledby={id}>
      <Box p={1.5}>
        <Typography id={id} variant="caption" color="textSecondary">
          {props.label}
        </Typography>
        <Typography variant="h6" component="p">
          {props.value}
        </Typography>
        {props.detail && (
          <Typography variant="caption" color="textSecondary" component="p">
            {props.detail}
          </Typography>
        )}
      </Box>
    </Paper>
  );
}

/** The totals of the period: requests, cost, cost per request and per day, growth. */
export function CapacityTotals(props: { report: CapacityReport }) {
  const { report } = props;
  const { requests, cost, projection } = report;
  const horizon30 = projection.horizons?.find(h => h.days === 30);
  const growth =
    projection.status === 'ok'
      ? formatGrowth(projection.growthPerMonth)
      : 'not enough data';
  const figures = [
    {
      label: 'Requests',
      value: formatNumber(requests.total),
      detail: `${formatNumber(requests.averagePerHour)} an hour on average`,
    },
    {
      label: 'Cost',
      value: formatMoney(cost.total, cost.currency),
      detail: `over the last ${periodLabel(report.period)}`,
    },
    {
      label: 'Cost per request',
      value: formatMoney(cost.perRequest, cost.currency),
      detail:
        cost.perRequest === undefined ? 'no requests answered' : undefined,
    },
    {
      label: 'Cost per day',
      value: formatMoney(cost.perDay, cost.currency),
    },
    {
      label: 'Growth per month',
      value: growth,
      detail:
        projection.status === 'ok' && projection.growthPerWeek !== undefined
          ? `${formatGrowth(projection.growthPerWeek)} per week`
          : undefined,
    },
    {
      label: 'Projected monthly cost',
      value: horizon30
        ? formatMoney(horizon30.monthlyCost, cost.currency)
        : '—',
      detail: horizon30
        ? `in 30 days, at ${horizon30.instances} ${
            horizon30.instances === 1 ? 'instance' : 'instances'
          }`
        : undefined,
    },
  ];
  return (
    <Grid container spacing={2}>
      {figures.map(f => (
        <Grid item xs={6} sm={4} lg={2} key={f.label}>
          <Figure {...f} />
        </Grid>
      ))}
    </Grid>
  );
}

/** Request patterns: peak hour and weekday, peak to average, and each version's share. */
export function RequestPatterns(props: { report: CapacityReport }) {
  const { report } = props;
  const { requests, cost } = report;
  return (
    <>
      <ChartSection id="patterns" title="Request patterns">
        <FactsTable
          label="Request patterns"
          facts={[
            [
              'Peak hour',
              requests.peakHour === undefined
                ? '—'
                : `${hourLabel(requests.peakHour)} (${report.timeZone})`,
            ],
            [
              'Peak weekday',
              requests.peakWeekday === undefined
                ? '—'
                : weekdayName(requests.peakWeekday),
            ],
            ['Peak to average', `${formatNumber(requests.peakToAverage)}×`],
            ['Average per hour', formatNumber(requests.averagePerHour)],
            ['Instances now', report.instances],
          ]}
        />
      </ChartSection>
      <ChartSection
        id="versions"
        title="By version"
        csv={[
          {
            label: 'requests and cost by version',
            fileName: csvFileName(report, 'versions'),
            table: () => versionsCsv(report),
          },
        ]}
      >
        {requests.byVersion.length === 0 ? (
          <Typography variant="body2" color="textSecondary">
            No version answered requests in this period.
          </Typography>
        ) : (
          <Table size="small" aria-label="Requests and cost by version">
            <TableHead>
              <TableRow>
                <TableCell>Version</TableCell>
                <TableCell align="right">Requests</TableCell>
                <TableCell align="right">Share</TableCell>
                <TableCell align="right">Cost</TableCell>
                <TableCell align="right">Per request</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {requests.byVersion.map(v => {
                const c = cost.byVersion.find(x => x.version === v.version);
                return (
                  <TableRow key={v.version}>
                    <TableCell component="th" scope="row">
                      {v.version}
                    </TableCell>
                    <TableCell align="right">
                      {formatNumber(v.requests)}
                    </TableCell>
                    <TableCell align="right">{formatShare(v.share)}</TableCell>
                    <TableCell align="right">
                      {formatMoney(c?.cost, cost.currency)}
                    </TableCell>
                    <TableCell align="right">
                      {formatMoney(c?.perRequest, cost.currency)}
                    </TableCell>
                  </TableRow>
                );
              })}
            </TableBody>
          </Table>
        )}
      </ChartSection>
    </>
  );
}

/** The cost model the report priced with, the cost per slot, and what the figures leave out. */
export function CostDetails(props: { report: CapacityReport }) {
  const { report } = props;
  const { costModel, cost } = report;
  const money = (v: number | undefined) => formatMoney(v, costModel.currency);
  const prices: Array<[string, string | number]> = [
    ['Name', costModel.name],
    ['Currency', costModel.currency],
    ['Instances per slot', costModel.instances],
  ];
  if (costModel.instanceHour !== undefined) {
    prices.push(['Per instance-hour', money(costModel.instanceHour)]);
  }
  if (costModel.gpuHour !== undefined) {
    prices.push([
      'Per GPU-hour',
      `${money(costModel.gpuHour)}${
        costModel.gpusPerInstance !== undefined
          ? ` × ${costModel.gpusPerInstance} GPU per instance`
          : ''
      }`,
    ]);
  }
  if (costModel.per1kRequests !== undefined) {
    prices.push(['Per 1,000 requests', money(costModel.per1kRequests)]);
  }
  if (costModel.per1kTokens !== undefined) {
    prices.push(['Per 1,000 tokens', money(costModel.per1kTokens)]);
  }
  return (
    <>
      <ChartSection id="cost-model" title="Cost model">
        <FactsTable label="Cost model" facts={prices} />
      </ChartSection>
      {cost.bySlot.length > 0 && (
        <ChartSection
          id="cost-by-slot"
          title="Cost by slot"
          csv={[
            {
              label: 'cost by slot',
              fileName: csvFileName(report, 'cost-by-slot'),
              table: () => costBySlotCsv(cost),
            },
          ]}
        >
          <Table size="small" aria-label="Cost by slot">
            <TableHead>
              <TableRow>
                <TableCell>Slot</TableCell>
                <TableCell align="right">Instance-hours</TableCell>
                <TableCell align="right">Cost</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {cost.bySlot.map(s => (
                <TableRow key={s.slot}>
                  <TableCell component="th" scope="row">
                    {s.slot}
                  </TableCell>
                  <TableCell align="right">
                    {formatNumber(s.instanceHours)}
                  </TableCell>
                  <TableCell align="right">
                    {formatMoney(s.cost, cost.currency)}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </ChartSection>
      )}
      {cost.notes.length > 0 && (
        <Box component="ul" pl={2} m={0}>
          {cost.notes.map(note => (
            <Typography
              key={note}
              component="li"
              variant="caption"
              color="textSecondary"
            >
              {note}
            </Typography>
          ))}
        </Box>
      )}
    </>
  );
}
