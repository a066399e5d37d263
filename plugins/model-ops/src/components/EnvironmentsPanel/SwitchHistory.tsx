import { Fragment, useState } from 'react';
import { InfoCard } from '@backstage/core-components';
import { SwitchRecord } from '@model-ops/plugin-model-ops-common';
import Box from '@material-ui/core/Box';
import Collapse from '@material-ui/core/Collapse';
import IconButton from '@material-ui/core/IconButton';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableContainer from '@material-ui/core/TableContainer';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import CheckIcon from '@material-ui/icons/CheckCircleOutline';
import CollapseIcon from '@material-ui/icons/KeyboardArrowUp';
import ExpandIcon from '@material-ui/icons/KeyboardArrowDown';
import CrossIcon from '@material-ui/icons/HighlightOff';
import { CompactTime, TruncatedText, noWrap } from '../CompactText';
import { formatDuration } from '../DeploymentsContent/RunDetails';
import { SWITCH_KIND_LABELS, SwitchStatus, colorName } from './statuses';

const COLUMNS = 10;

function side(slot?: string, version?: string): string {
  if (!slot) return '—';
  return version ? `${colorName(slot)} (${version})` : colorName(slot);
}

function duration(record: SwitchRecord): string {
  if (record.durationMs !== undefined) return formatDuration(record.durationMs);
  if (!record.finishedAt) return '';
  return formatDuration(
    new Date(record.finishedAt).getTime() -
      new Date(record.startedAt).getTime(),
  );
}

function HistoryRow(props: { record: SwitchRecord; showError: boolean }) {
  const { record } = props;
  const [open, setOpen] = useState(false);
  const failed = record.checks.filter(c => !c.ok).length;
  const hasChecks = record.checks.length > 0;
  return (
    <Fragment>
      <TableRow data-testid={`switch-${record.id}`}>
        <TableCell padding="checkbox">
          {hasChecks && (
            <IconButton
              size="small"
              aria-label={`${open ? 'Hide' : 'Show'} checks of switch ${
                record.id
              }`}
              aria-expanded={open}
              onClick={() => setOpen(o => !o)}
            >
              {open ? <CollapseIcon /> : <ExpandIcon />}
            </IconButton>
          )}
        </TableCell>
        <TableCell style={noWrap}>
          <CompactTime iso={record.startedAt} />
        </TableCell>
        <TableCell style={noWrap}>
          {SWITCH_KIND_LABELS[record.kind] ?? record.kind}
        </TableCell>
        <TableCell style={noWrap}>
          {side(record.from, record.fromVersion)} →{' '}
          {side(record.to, record.toVersion)}
        </TableCell>
        <TableCell>
          <TruncatedText text={record.requestedBy ?? '—'} maxWidth={140} />
        </TableCell>
        <TableCell>
          <TruncatedText text={record.reason ?? '—'} maxWidth={180} />
        </TableCell>
        <TableCell style={noWrap}>
          <SwitchStatus status={record.status} />
        </TableCell>
        <TableCell style={noWrap}>{duration(record)}</TableCell>
        <TableCell style={noWrap}>
          {hasChecks
            ? `${record.checks.length - failed} of ${
                record.checks.length
              } passed`
            : '—'}
        </TableCell>
        {props.showError && (
          <TableCell>
            {record.error ? (
              <TruncatedText text={record.error} maxWidth={240} color="error" />
            ) : (
              '—'
            )}
          </TableCell>
        )}
      </TableRow>
      {hasChecks && (
        <TableRow>
          <TableCell
            colSpan={props.showError ? COLUMNS : COLUMNS - 1}
            style={{
              paddingTop: 0,
              paddingBottom: 0,
              borderBottom: open ? undefined : 'none',
            }}
          >
            <Collapse in={open} timeout="auto" unmountOnExit>
              <Box py={1} data-testid={`switch-${record.id}-checks`}>
                {record.runId && (
                  <Typography
                    variant="caption"
                    color="textSecondary"
                    component="div"
                  >
                    Run {record.runId}
                  </Typography>
                )}
                {record.error && (
                  <Typography variant="body2" color="error" gutterBottom>
                    {record.error}
                  </Typography>
                )}
                {record.checks.map((check, index) => (
                  <Box
                    key={`${check.name}-${index}`}
                    display="flex"
                    alignItems="flex-start"
                    mb={0.5}
                  >
                    {check.ok ? (
                      <CheckIcon
                        fontSize="small"
                        style={{ color: '#2e7d32', marginRight: 6 }}
                        aria-hidden
                      />
                    ) : (
                      <CrossIcon
                        fontSize="small"
                        color="error"
                        style={{ marginRight: 6 }}
                        aria-hidden
                      />
                    )}
                    <Typography variant="body2">
                      <strong>{check.name}</strong>:{' '}
                      {check.ok ? 'passed' : 'failed'}
                      {check.detail ? ` — ${check.detail}` : ''}
                      {check.durationMs !== undefined
                        ? ` (${formatDuration(check.durationMs)})`
                        : ''}
                    </Typography>
                  </Box>
                ))}
              </Box>
            </Collapse>
          </TableCell>
        </TableRow>
      )}
    </Fragment>
  );
}

/** Every traffic switch between the colors, newest first; a row expands to its checks. */
export function SwitchHistory(props: { history: SwitchRecord[] }) {
  const records = [...props.history].sort(
    (a, b) => new Date(b.startedAt).getTime() - new Date(a.startedAt).getTime(),
  );
  // The error column only takes room when some switch failed; each row's checks show it too.
  const showError = records.some(r => r.error);
  return (
    <InfoCard title="Switch history" noPadding>
      {records.length === 0 ? (
        <Box p={2}>
          <Typography variant="body2" color="textSecondary">
            No switch yet: traffic moves between the colors when a version is
            deployed or switched.
          </Typography>
        </Box>
      ) : (
        <TableContainer>
          <Table size="small" aria-label="Switch history">
            <TableHead>
              <TableRow>
                <TableCell padding="checkbox">
                  <span style={{ position: 'absolute', left: -10000 }}>
                    Details
                  </span>
                </TableCell>
                <TableCell style={noWrap}>When</TableCell>
                <TableCell style={noWrap}>Kind</TableCell>
                <TableCell style={noWrap}>From → to</TableCell>
                <TableCell style={noWrap}>Who</TableCell>
                <TableCell style={noWrap}>Why</TableCell>
                <TableCell style={noWrap}>Outcome</TableCell>
                <TableCell style={noWrap}>Duration</TableCell>
                <TableCell style={noWrap}>Checks</TableCell>
                {showError && <TableCell style={noWrap}>Error</TableCell>}
              </TableRow>
            </TableHead>
            <TableBody>
              {records.map(record => (
                <HistoryRow
                  key={record.id}
                  record={record}
                  showError={showError}
                />
              ))}
            </TableBody>
          </Table>
        </TableContainer>
      )}
    </InfoCard>
  );
}
