import { MouseEvent } from 'react';
import { CompoundEntityRef } from '@backstage/catalog-model';
import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
  StatusError,
  StatusOK,
} from '@backstage/core-components';
import { Incident } from '@model-ops/plugin-model-ops-common';
import Link from '@material-ui/core/Link';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { CompactTime, noWrap } from '../CompactText';
import { formatDuration } from './format';
import { IncidentDetailsPanel } from './IncidentDetails';
import { SeverityStatus } from './statuses';

/** An incident's state, as an icon and a word. */
export function IncidentStateStatus(props: { state: Incident['state'] }) {
  return props.state === 'open' ? (
    <StatusError>Open</StatusError>
  ) : (
    <StatusOK>Resolved</StatusOK>
  );
}

/** A duration in seconds for a cell, or a dash while it has not ended. */
export function DurationCell(props: { seconds?: number }) {
  return (
    <>{props.seconds === undefined ? '—' : formatDuration(props.seconds)}</>
  );
}

/**
 * The model's incidents, newest first: state, title, severity, when each opened, how long until it
 * was acknowledged and resolved, and how many alerts it holds. Choosing one shows its details
 * and timeline below the list.
 */
export function IncidentsPanel(props: {
  entity: CompoundEntityRef;
  incidents?: Incident[];
  error?: Error;
  selectedId?: string;
  onSelect: (incidentId: string | undefined) => void;
  /** Counts the changes made on the tab, so the open details reload after each. */
  changes?: number;
}) {
  const { entity, incidents, error, selectedId, onSelect, changes } = props;

  let body;
  if (!incidents) {
    body = error ? <ResponseErrorPanel error={error} /> : <Progress />;
  } else if (incidents.length === 0) {
    body = (
      <Typography variant="body2" color="textSecondary">
        This model has had no incident.
      </Typography>
    );
  } else {
    body = (
      <Table size="small" aria-label="Incidents">
        <TableHead>
          <TableRow>
            <TableCell>State</TableCell>
            <TableCell>Incident</TableCell>
            <TableCell>Severity</TableCell>
            <TableCell>Opened</TableCell>
            <TableCell>Time to acknowledge</TableCell>
            <TableCell>Time to resolve</TableCell>
            <TableCell align="right">Alerts</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {incidents.map(incident => (
            <TableRow
              key={incident.id}
              hover
              selected={incident.id === selectedId}
              style={{ cursor: 'pointer' }}
              onClick={() => onSelect(incident.id)}
            >
              <TableCell style={noWrap}>
                <IncidentStateStatus state={incident.state} />
              </TableCell>
              <TableCell>
                <Link
                  component="button"
                  variant="body2"
                  align="left"
                  onClick={(e: MouseEvent) => {
                    e.stopPropagation();
                    onSelect(incident.id);
                  }}
                  aria-label={`Open incident ${incident.title}`}
                >
                  {incident.title}
                </Link>
              </TableCell>
              <TableCell style={noWrap}>
                <SeverityStatus severity={incident.severity} />
              </TableCell>
              <TableCell style={noWrap}>
                <CompactTime iso={incident.openedAt} />
              </TableCell>
              <TableCell style={noWrap}>
                <DurationCell seconds={incident.timeToAcknowledgeSeconds} />
              </TableCell>
              <TableCell style={noWrap}>
                <DurationCell seconds={incident.timeToResolveSeconds} />
              </TableCell>
              <TableCell align="right">{incident.alertCount}</TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    );
  }

  return (
    <InfoCard
      title="Incidents"
      subheader="The alerts of the model that overlapped in time, grouped"
    >
      {incidents && error && (
        <Typography color="error" variant="body2">
          Could not refresh the incidents: {error.message}
        </Typography>
      )}
      {body}
      {selectedId && (
        <IncidentDetailsPanel
          key={selectedId}
          entity={entity}
          incidentId={selectedId}
          changes={changes}
          onClose={() => onSelect(undefined)}
        />
      )}
    </InfoCard>
  );
}
