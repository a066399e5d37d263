import {
  StatusError,
  StatusOK,
  StatusWarning,
} from '@backstage/core-components';
import {
  CapacityBottleneck,
  CapacityLimitDate,
  CapacityReport,
} from '@model-ops/plugin-model-ops-common';
import Box from '@material-ui/core/Box';
import LinearProgress from '@material-ui/core/LinearProgress';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { ChartSection } from './ChartSection';
import { bottlenecksCsv, csvFileName, utilizationSummaryCsv } from './csv';
import {
  formatDate,
  formatNumber,
  formatPercent,
  formatShare,
  resourceTitle,
} from './format';

function LevelStatus(props: { level: CapacityBottleneck['level'] }) {
  switch (props.level) {
    case 'over':
      return <StatusError>Over</StatusError>;
    case 'near':
      return <StatusWarning>Near</StatusWarning>;
    default:
      return <StatusOK>OK</StatusOK>;
  }
}

/** When the trend reaches a limit, in words. */
export function limitDateText(limit: CapacityLimitDate | undefined): string {
  if (!limit) return '—';
  if (limit.reached) return 'already reached';
  return limit.date ? formatDate(limit.date) : 'not on this trend';
}

/**
 * Each resource's p95 against its limit, the closest first, with how far along it is and the date
 * the trend reaches it; below, average and p95 per slot.
 */
export function BottlenecksPanel(props: { report: CapacityReport }) {
  const { report } = props;
  const limits = report.projection.limits ?? [];
  const slots = report.utilization.filter(u => u.slot);
  return (
    <>
      <ChartSection
        id="bottlenecks"
        title="Headroom to limits"
        caption="p95 utilization over the period against the rule set's warning level, the closest first"
        csv={[
          {
            label: 'bottlenecks',
            fileName: csvFileName(report, 'bottlenecks'),
            table: () => bottlenecksCsv(report),
          },
        ]}
      >
        {report.bottlenecks.length === 0 ? (
          <Typography variant="body2" color="textSecondary">
            No rule sets a limit for CPU, memory or disk, so there is no
            headroom to show.
          </Typography>
        ) : (
          <Table size="small" aria-label="Bottlenecks">
            <TableHead>
              <TableRow>
                <TableCell>Resource</TableCell>
                <TableCell align="right">Average</TableCell>
                <TableCell align="right">p95</TableCell>
                <TableCell align="right">Limit</TableCell>
                <TableCell>Of the limit</TableCell>
                <TableCell align="right">Headroom</TableCell>
                <TableCell>Level</TableCell>
                <TableCell>Reaches the limit</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {report.bottlenecks.map(b => (
                <TableRow key={b.resource}>
                  <TableCell component="th" scope="row">
                    {resourceTitle(b.resource)}
                  </TableCell>
                  <TableCell align="right">
                    {formatPercent(b.average)}
                  </TableCell>
                  <TableCell align="right">{formatPercent(b.p95)}</TableCell>
                  <TableCell align="right">{formatPercent(b.limit)}</TableCell>
                  <TableCell style={{ minWidth: 96 }}>
                    <Box display="flex" alignItems="center" style={{ gap: 8 }}>
                      <Box flexGrow={1}>
                        <LinearProgress
                          variant="determinate"
                          color={b.level === 'ok' ? 'primary' : 'secondary'}
                          value={Math.min(100, b.usedShare * 100)}
                          aria-label={`${resourceTitle(
                            b.resource,
                          )}: ${formatShare(b.usedShare)} of the limit`}
                        />
                      </Box>
                      <Typography variant="caption">
                        {formatShare(b.usedShare)}
                      </Typography>
                    </Box>
                  </TableCell>
                  <TableCell align="right">
                    {`${b.headroom < 0 ? '−' : ''}${formatNumber(
                      Math.abs(b.headroom),
                    )} pp`}
                  </TableCell>
                  <TableCell>
                    <LevelStatus level={b.level} />
                  </TableCell>
                  <TableCell>
                    {limitDateText(limits.find(l => l.resource === b.resource))}
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </ChartSection>
      {slots.length > 0 && (
        <ChartSection
          id="utilization-by-slot"
          title="Utilization by slot"
          csv={[
            {
              label: 'utilization by slot',
              fileName: csvFileName(report, 'utilization-by-slot'),
              table: () => utilizationSummaryCsv(report),
            },
          ]}
        >
          <Table size="small" aria-label="Utilization by slot">
            <TableHead>
              <TableRow>
                <TableCell>Slot</TableCell>
                <TableCell>Resource</TableCell>
                <TableCell align="right">Average</TableCell>
                <TableCell align="right">p95</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {slots.map(u => (
                <TableRow key={`${u.slot}:${u.resource}`}>
                  <TableCell>{u.slot}</TableCell>
                  <TableCell>{resourceTitle(u.resource)}</TableCell>
                  <TableCell align="right">
                    {formatPercent(u.average)}
                  </TableCell>
                  <TableCell align="right">{formatPercent(u.p95)}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </ChartSection>
      )}
    </>
  );
}
