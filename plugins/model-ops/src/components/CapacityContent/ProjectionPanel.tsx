import { CapacityReport } from '@model-ops/plugin-model-ops-common';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { ChartSection } from './ChartSection';
import { FactsTable } from './FactsTable';
import { csvFileName, horizonsCsv } from './csv';
import {
  formatDate,
  formatGrowth,
  formatMoney,
  formatNumber,
  formatPercent,
  resourceTitle,
} from './format';
import { limitDateText } from './BottlenecksPanel';

/** The projection's message, or the contract's wording when the backend gave none. */
export function insufficientMessage(
  projection: CapacityReport['projection'],
): string {
  return (
    projection.message ??
    `not enough data (${projection.daysAvailable} days of ${projection.daysNeeded} needed)`
  );
}

/**
 * The fit's figures (growth per week and month, R², method), the date each resource reaches its
 * limit, what the next 30 and 90 days bring, and how many instances the projected load needs.
 * Too short a history gives the report's reason instead of any number.
 */
export function ProjectionPanel(props: { report: CapacityReport }) {
  const { report } = props;
  const { projection, rightSizing } = report;
  const currency = report.cost.currency;

  if (projection.status !== 'ok') {
    return (
      <Alert severity="info" data-testid="capacity-projection-insufficient">
        {insufficientMessage(projection)}. Projections, limit dates and horizons
        appear once the stored history is long enough.
      </Alert>
    );
  }

  const limits = projection.limits ?? [];
  const horizons = projection.horizons ?? [];
  return (
    <>
      <ChartSection id="growth" title="Growth">
        <FactsTable
          label="Growth"
          facts={[
            ['Growth per week', formatGrowth(projection.growthPerWeek)],
            ['Growth per month', formatGrowth(projection.growthPerMonth)],
            [
              'Trend',
              projection.slopePerDay === undefined
                ? '—'
                : `${projection.slopePerDay >= 0 ? '+' : ''}${formatNumber(
                    projection.slopePerDay,
                  )} requests a day, each day`,
            ],
            [
              'R²',
              projection.r2 === undefined
                ? '—'
                : projection.r2.toLocaleString(undefined, {
                    maximumFractionDigits: 3,
                  }),
            ],
            ['Method', projection.method ?? '—'],
            [
              'History',
              `${projection.daysAvailable} days (${projection.daysNeeded} needed)`,
            ],
          ]}
        />
      </ChartSection>
      {limits.length > 0 && (
        <ChartSection
          id="limit-dates"
          title="Limit dates"
          caption={`At the current ${report.instances} ${
            report.instances === 1 ? 'instance' : 'instances'
          }, if the trend goes on`}
        >
          <Table size="small" aria-label="Limit dates">
            <TableHead>
              <TableRow>
                <TableCell>Resource</TableCell>
                <TableCell align="right">Limit</TableCell>
                <TableCell>Reached</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {limits.map(l => (
                <TableRow key={l.resource}>
                  <TableCell component="th" scope="row">
                    {resourceTitle(l.resource)}
                  </TableCell>
                  <TableCell align="right">{formatPercent(l.limit)}</TableCell>
                  <TableCell>{limitDateText(l)}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </ChartSection>
      )}
      {horizons.length > 0 && (
        <ChartSection
          id="horizons"
          title="Horizons"
          caption={
            projection.confidence !== undefined
              ? `Ranges are the ${formatNumber(
                  projection.confidence * 100,
                )} % prediction interval`
              : undefined
          }
          csv={[
            {
              label: 'horizons',
              fileName: csvFileName(report, 'horizons'),
              table: () => horizonsCsv(projection, currency),
            },
          ]}
        >
          <Table size="small" aria-label="Horizons">
            <TableHead>
              <TableRow>
                <TableCell>In</TableCell>
                <TableCell align="right">Requests per day</TableCell>
                <TableCell align="right">Instances</TableCell>
                <TableCell align="right">Monthly cost</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {horizons.map(h => (
                <TableRow key={h.days}>
                  <TableCell component="th" scope="row">
                    {h.days} days
                    <Typography
                      variant="caption"
                      color="textSecondary"
                      component="div"
                    >
                      {formatDate(h.date)}
                    </Typography>
                  </TableCell>
                  <TableCell align="right">
                    {formatNumber(h.requestsPerDay)}
                    <Typography
                      variant="caption"
                      color="textSecondary"
                      component="div"
                    >
                      {formatNumber(h.requestsPerDayLow)} –{' '}
                      {formatNumber(h.requestsPerDayHigh)}
                    </Typography>
                  </TableCell>
                  <TableCell align="right">{h.instances}</TableCell>
                  <TableCell align="right">
                    {formatMoney(h.monthlyCost, currency)}
                    <Typography
                      variant="caption"
                      color="textSecondary"
                      component="div"
                    >
                      {formatMoney(h.monthlyCostLow, currency)} –{' '}
                      {formatMoney(h.monthlyCostHigh, currency)}
                    </Typography>
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </ChartSection>
      )}
      {rightSizing && <RightSizing rightSizing={rightSizing} />}
    </>
  );
}

/** Instances needed for the projected p95 load at the target utilization. */
export function RightSizing(props: {
  rightSizing: NonNullable<CapacityReport['rightSizing']>;
}) {
  const { currentInstances, neededInstances, targetUtilization, basis } =
    props.rightSizing;
  let verdict: string;
  if (neededInstances > currentInstances) {
    verdict = `add ${neededInstances - currentInstances}`;
  } else if (neededInstances < currentInstances) {
    verdict = `${currentInstances - neededInstances} fewer would do`;
  } else {
    verdict = 'as many as now';
  }
  return (
    <ChartSection id="right-sizing" title="Right-sizing" caption={basis}>
      <Typography variant="body2">
        {neededInstances} {neededInstances === 1 ? 'instance' : 'instances'}{' '}
        needed at a {formatPercent(targetUtilization)} target, against{' '}
        {currentInstances} now ({verdict}).
      </Typography>
    </ChartSection>
  );
}
