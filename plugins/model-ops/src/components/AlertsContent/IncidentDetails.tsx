import { ReactNode, useEffect, useRef, useState } from 'react';
import { CompoundEntityRef } from '@backstage/catalog-model';
import { Link, Progress, ResponseErrorPanel } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import {
  IncidentDetails,
  IncidentEvent,
} from '@model-ops/plugin-model-ops-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Chip from '@material-ui/core/Chip';
import Divider from '@material-ui/core/Divider';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import FiringIcon from '@material-ui/icons/NotificationsActive';
import AcknowledgedIcon from '@material-ui/icons/Done';
import EscalatedIcon from '@material-ui/icons/PriorityHigh';
import ResolvedIcon from '@material-ui/icons/CheckCircle';
import SentIcon from '@material-ui/icons/Send';
import FailedIcon from '@material-ui/icons/ErrorOutline';
import DeploymentIcon from '@material-ui/icons/CloudUpload';
import RollbackIcon from '@material-ui/icons/Undo';
import SwitchIcon from '@material-ui/icons/SwapHoriz';
import SilenceIcon from '@material-ui/icons/NotificationsOff';
import DownloadIcon from '@material-ui/icons/GetApp';
import { modelOpsApiRef } from '../../api';
import { CompactTime, noWrap } from '../CompactText';
import { errorMessage, formatDuration } from './format';
import { AlertStateStatus, SeverityStatus } from './statuses';
import { useIncident } from './useMonitoring';

const KINDS: Record<
  IncidentEvent['kind'],
  { label: string; Icon: typeof FiringIcon; error?: boolean }
> = {
  'alert-firing': { label: 'Firing', Icon: FiringIcon, error: true },
  'alert-acknowledged': { label: 'Acknowledged', Icon: AcknowledgedIcon },
  'alert-escalated': { label: 'Escalated', Icon: EscalatedIcon, error: true },
  'alert-resolved': { label: 'Resolved', Icon: ResolvedIcon },
  'notification-sent': { label: 'Notified', Icon: SentIcon },
  'notification-failed': {
    label: 'Notification failed',
    Icon: FailedIcon,
    error: true,
  },
  deployment: { label: 'Deployment', Icon: DeploymentIcon },
  rollback: { label: 'Rollback', Icon: RollbackIcon },
  switch: { label: 'Switch', Icon: SwitchIcon },
  silence: { label: 'Silence', Icon: SilenceIcon },
};

/** The timeline in time order; entries of the same moment keep the backend's order. */
export function orderedTimeline(events: IncidentEvent[]): IncidentEvent[] {
  return events
    .map((event, index) => ({ event, index }))
    .sort(
      (a, b) =>
        Date.parse(a.event.at) - Date.parse(b.event.at) || a.index - b.index,
    )
    .map(({ event }) => event);
}

/** Saves text as a file the browser downloads, through an object URL and an `<a download>`. */
export function downloadText(text: string, filename: string, type: string) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const anchor = document.createElement('a');
  anchor.href = url;
  anchor.download = filename;
  anchor.style.display = 'none';
  document.body.appendChild(anchor);
  try {
    anchor.click();
  } finally {
    anchor.remove();
    // The click has handed the blob to the download; the URL is no longer needed.
    setTimeout(() => URL.revokeObjectURL(url), 0);
  }
}

function TimelineKind(props: { kind: IncidentEvent['kind'] }) {
  const kind = KINDS[props.kind] ?? { label: props.kind, Icon: FiringIcon };
  const { Icon } = kind;
  return (
    <Chip
      size="small"
      variant="outlined"
      color={kind.error ? 'secondary' : 'default'}
      icon={<Icon fontSize="small" />}
      label={kind.label}
    />
  );
}

function Summary(props: { details: IncidentDetails }) {
  const { incident } = props.details;
  const rows: Array<[string, ReactNode]> = [
    ['Severity', <SeverityStatus severity={incident.severity} />],
    ['Opened', <CompactTime iso={incident.openedAt} />],
    [
      'Acknowledged',
      incident.acknowledgedAt ? (
        <>
          <CompactTime iso={incident.acknowledgedAt} />
          {incident.acknowledgedBy ? ` by ${incident.acknowledgedBy}` : ''}
          {incident.timeToAcknowledgeSeconds !== undefined
            ? ` (after ${formatDuration(incident.timeToAcknowledgeSeconds)})`
            : ''}
        </>
      ) : (
        'not yet'
      ),
    ],
    [
      'Resolved',
      incident.resolvedAt ? (
        <>
          <CompactTime iso={incident.resolvedAt} />
          {incident.timeToResolveSeconds !== undefined
            ? ` (after ${formatDuration(incident.timeToResolveSeconds)})`
            : ''}
        </>
      ) : (
        'not yet'
      ),
    ],
    [
      'Runbook',
      incident.runbook ? (
        <Link to={incident.runbook} aria-label="Runbook of the incident">
          {incident.runbook}
        </Link>
      ) : (
        '—'
      ),
    ],
    [
      'Preceding change',
      incident.change ? (
        <>
          {incident.change.summary} (
          <CompactTime iso={incident.change.at} />)
        </>
      ) : (
        'none found'
      ),
    ],
  ];
  return (
    <Table size="small" aria-label="Incident summary">
      <TableBody>
        {rows.map(([label, value]) => (
          <TableRow key={label}>
            <TableCell component="th" scope="row" style={noWrap}>
              {label}
            </TableCell>
            <TableCell>{value}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}

/**
 * One incident: what it is, its runbook and preceding change, its alerts and its timeline in time
 * order, and its post-incident report to download. Reloads while the incident is open.
 */
export function IncidentDetailsPanel(props: {
  entity: CompoundEntityRef;
  incidentId: string;
  /** Counts the changes made on the tab; each new count reloads. */
  changes?: number;
  onClose: () => void;
}) {
  const api = useApi(modelOpsApiRef);
  const { entity, incidentId, changes, onClose } = props;
  const { value, error, refresh } = useIncident(entity, incidentId);
  const [downloading, setDownloading] = useState(false);
  const [downloadError, setDownloadError] = useState<string>();
  const section = useRef<HTMLElement>(null);

  // Brought into view when opened, e.g. from an alert's incident link further up.
  useEffect(() => {
    section.current?.scrollIntoView?.({ behavior: 'smooth', block: 'start' });
  }, [incidentId]);

  const seenChanges = useRef(changes);
  useEffect(() => {
    if (seenChanges.current !== changes) {
      seenChanges.current = changes;
      refresh();
    }
  }, [changes, refresh]);

  const download = async () => {
    setDownloading(true);
    setDownloadError(undefined);
    try {
      const report = await api.getIncidentReport(entity, incidentId);
      downloadText(report, `incident-${incidentId}.md`, 'text/markdown');
    } catch (e) {
      setDownloadError(`Could not download the report: ${errorMessage(e)}`);
    } finally {
      setDownloading(false);
    }
  };

  let content;
  if (!value) {
    content = error ? <ResponseErrorPanel error={error} /> : <Progress />;
  } else {
    const { incident, alerts, timeline } = value;
    content = (
      <>
        <Box display="flex" alignItems="center" flexWrap="wrap" mb={1}>
          <Typography variant="h6" component="h3" style={{ marginRight: 16 }}>
            {incident.title}
          </Typography>
          <Chip
            size="small"
            label={incident.state === 'open' ? 'Open' : 'Resolved'}
            color={incident.state === 'open' ? 'secondary' : 'default'}
          />
        </Box>
        {error && (
          <Typography color="error" variant="body2">
            Could not refresh the incident: {error.message}
          </Typography>
        )}
        <Summary details={value} />
        <Typography variant="subtitle2" style={{ marginTop: 16 }}>
          Alerts ({alerts.length})
        </Typography>
        <Table size="small" aria-label="Alerts of the incident">
          <TableHead>
            <TableRow>
              <TableCell>Alert</TableCell>
              <TableCell>Severity</TableCell>
              <TableCell>Slot</TableCell>
              <TableCell>Version</TableCell>
              <TableCell>Fired</TableCell>
              <TableCell>State</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {alerts.map(alert => (
              <TableRow key={alert.id}>
                <TableCell>
                  <Typography variant="body2">{alert.alertType}</Typography>
                  <Typography variant="caption" color="textSecondary">
                    {alert.summary}
                  </Typography>
                </TableCell>
                <TableCell style={noWrap}>
                  <SeverityStatus severity={alert.severity} />
                </TableCell>
                <TableCell style={noWrap}>{alert.slot ?? '—'}</TableCell>
                <TableCell style={noWrap}>{alert.version ?? '—'}</TableCell>
                <TableCell style={noWrap}>
                  <CompactTime iso={alert.firingAt ?? alert.startsAt} />
                </TableCell>
                <TableCell style={noWrap}>
                  <AlertStateStatus state={alert.state} />
                </TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
        <Typography variant="subtitle2" style={{ marginTop: 16 }}>
          Timeline
        </Typography>
        {timeline.length === 0 ? (
          <Typography variant="body2" color="textSecondary">
            Nothing was recorded around this incident.
          </Typography>
        ) : (
          <Table size="small" aria-label="Timeline">
            <TableBody>
              {orderedTimeline(timeline).map((event, index) => (
                <TableRow
                  key={`${event.at}-${event.kind}-${index}`}
                  data-testid="timeline-event"
                >
                  <TableCell style={noWrap}>
                    <CompactTime iso={event.at} />
                  </TableCell>
                  <TableCell style={noWrap}>
                    <TimelineKind kind={event.kind} />
                  </TableCell>
                  <TableCell>{event.summary}</TableCell>
                  <TableCell style={noWrap}>{event.actor ?? ''}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </>
    );
  }

  return (
    <section
      ref={section}
      aria-label="Incident timeline"
      style={{ marginTop: 24 }}
    >
      <Divider />
      <Box display="flex" alignItems="center" justifyContent="flex-end" my={1}>
        <Button
          size="small"
          variant="outlined"
          startIcon={<DownloadIcon />}
          onClick={download}
          disabled={downloading}
          style={{ marginRight: 8 }}
        >
          Download report
        </Button>
        <Button size="small" onClick={onClose}>
          Close
        </Button>
      </Box>
      {downloadError && (
        <Typography color="error" variant="body2" role="alert">
          {downloadError}
        </Typography>
      )}
      {content}
    </section>
  );
}
