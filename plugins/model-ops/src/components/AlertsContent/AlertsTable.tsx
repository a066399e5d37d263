import { Link, Table, TableColumn } from '@backstage/core-components';
import { AlertRecord, Silence } from '@model-ops/plugin-model-ops-common';
import Chip from '@material-ui/core/Chip';
import MuiLink from '@material-ui/core/Link';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import MutedIcon from '@material-ui/icons/NotificationsOff';
import {
  changeLine,
  formatRelative,
  formatTimestamp,
  formatValue,
  metricUnit,
} from './format';
import { noWrap } from '../CompactText';
import { AlertStateStatus, SeverityStatus } from './statuses';
import { AlertActions } from './AlertActions';
import { AlertDeliveries } from './AlertDeliveries';
import { CompoundEntityRef } from '@backstage/catalog-model';

/** How long a resolved alert stays listed. */
export const RECENTLY_RESOLVED_MS = 24 * 3_600_000;

const STATE_ORDER: Record<AlertRecord['state'], number> = {
  firing: 0,
  pending: 1,
  resolved: 2,
};

/** The open alerts, then those resolved within {@link RECENTLY_RESOLVED_MS}, newest first. */
export function visibleAlerts(
  alerts: AlertRecord[],
  now: number = Date.now(),
): AlertRecord[] {
  return alerts
    .filter(alert => {
      if (alert.state !== 'resolved') return true;
      const resolvedAt = Date.parse(alert.resolvedAt ?? alert.startsAt);
      return (
        !Number.isNaN(resolvedAt) && now - resolvedAt <= RECENTLY_RESOLVED_MS
      );
    })
    .sort((a, b) => {
      const byState = STATE_ORDER[a.state] - STATE_ORDER[b.state];
      if (byState !== 0) return byState;
      return Date.parse(since(b)) - Date.parse(since(a));
    });
}

function since(alert: AlertRecord): string {
  if (alert.state === 'resolved' && alert.resolvedAt) return alert.resolvedAt;
  return alert.firingAt ?? alert.startsAt;
}

function colorName(slot?: string): string {
  return slot ? slot.charAt(0).toUpperCase() + slot.slice(1) : '—';
}

function RelativeTime(props: { iso: string }) {
  return (
    <time dateTime={props.iso} title={formatTimestamp(props.iso)}>
      {formatRelative(props.iso)}
    </time>
  );
}

/** What muted an alert, for its chip: a silence's reason, or a configured window's name. */
export function silenceLabel(
  silencedBy: string,
  silences: Silence[] = [],
): string {
  const silence = silences.find(s => s.id === silencedBy);
  if (silence) {
    return `${silence.kind === 'maintenance' ? 'maintenance' : 'silence'}: ${
      silence.reason
    }`;
  }
  if (silencedBy.startsWith('maintenance:')) {
    return `maintenance ${silencedBy.slice('maintenance:'.length)}`;
  }
  return `silence ${silencedBy.slice(0, 8)}`;
}

function columnsFor(options: {
  silences?: Silence[];
  onOpenIncident?: (incidentId: string) => void;
}): TableColumn<AlertRecord>[] {
  const { silences, onOpenIncident } = options;
  return [
    {
      title: 'Severity',
      field: 'severity',
      cellStyle: noWrap,
      render: alert => <SeverityStatus severity={alert.severity} />,
    },
    {
      title: 'Alert',
      field: 'alertType',
      // The summary is free text: this column wraps, at a width it stays readable at.
      cellStyle: { minWidth: 280 },
      render: alert => (
        <>
          <Typography variant="body2">{alert.alertType}</Typography>
          {alert.summary && (
            <Typography variant="caption" color="textSecondary">
              {alert.summary}
            </Typography>
          )}
          {alert.change && (
            <Tooltip title={formatTimestamp(alert.change.at)}>
              <Typography
                variant="caption"
                color="textSecondary"
                component="div"
                data-testid="alert-change"
              >
                {changeLine(alert.change, alert.firingAt ?? alert.startsAt)}
              </Typography>
            </Tooltip>
          )}
        </>
      ),
    },
    {
      title: 'Slot',
      field: 'slot',
      cellStyle: noWrap,
      render: alert => colorName(alert.slot),
    },
    {
      title: 'Version',
      field: 'version',
      cellStyle: noWrap,
      render: alert => alert.version ?? '—',
    },
    {
      title: 'Value vs threshold',
      field: 'value',
      cellStyle: noWrap,
      render: alert => {
        const unit = metricUnit(alert.metric);
        return `${formatValue(alert.value, unit)} vs ${formatValue(
          alert.threshold,
          unit,
        )}`;
      },
    },
    {
      title: 'Since',
      field: 'startsAt',
      cellStyle: noWrap,
      render: alert => <RelativeTime iso={alert.firingAt ?? alert.startsAt} />,
    },
    {
      title: 'State',
      field: 'state',
      cellStyle: noWrap,
      render: alert => (
        <>
          <AlertStateStatus state={alert.state} />
          {alert.state === 'resolved' && alert.resolvedAt && (
            <Typography variant="caption" color="textSecondary" component="div">
              <RelativeTime iso={alert.resolvedAt} />
            </Typography>
          )}
          {alert.acknowledgedBy && (
            <Typography variant="caption" color="textSecondary" component="div">
              acknowledged by {alert.acknowledgedBy}
              {alert.acknowledgedComment
                ? `: ${alert.acknowledgedComment}`
                : ''}
            </Typography>
          )}
          {alert.escalation && (
            <Typography variant="caption" color="error" component="div">
              escalated: {alert.escalation}
            </Typography>
          )}
          {alert.silencedBy && (
            <Tooltip
              title={`Recorded but not notified: muted by ${alert.silencedBy}`}
            >
              <Chip
                size="small"
                variant="outlined"
                icon={<MutedIcon />}
                label={`muted by ${silenceLabel(alert.silencedBy, silences)}`}
                style={{ maxWidth: 240, marginTop: 4 }}
              />
            </Tooltip>
          )}
          {alert.incidentId && onOpenIncident && (
            <Typography variant="caption" component="div">
              <MuiLink
                component="button"
                variant="caption"
                onClick={() => onOpenIncident(alert.incidentId!)}
                aria-label={`Open the incident of ${alert.alertType}`}
              >
                Incident
              </MuiLink>
            </Typography>
          )}
        </>
      ),
    },
    {
      title: 'Runbook',
      field: 'runbook',
      cellStyle: noWrap,
      render: alert =>
        alert.runbook ? (
          <Link
            to={alert.runbook}
            aria-label={`Runbook for ${alert.alertType}`}
          >
            Runbook
          </Link>
        ) : (
          '—'
        ),
    },
  ];
}

/**
 * The firing and pending alerts, and those resolved in the last day, each with the version it
 * fired on, the change before it, what muted it and its incident. With `entity`, each open alert
 * has Acknowledge, Resolve and Silence, and each row opens to show where its notifications went.
 */
export function AlertsTable(props: {
  alerts: AlertRecord[];
  entity?: CompoundEntityRef;
  /** Why the caller may not acknowledge, resolve or silence, when they may not. */
  disabledReason?: string;
  onChanged?: () => void;
  /** The model's silences, to name what muted an alert. */
  silences?: Silence[];
  /** Opens an alert's incident; without it the incident is not linked. */
  onOpenIncident?: (incidentId: string) => void;
}) {
  const { entity, disabledReason, onChanged, silences, onOpenIncident } = props;
  const columns = columnsFor({ silences, onOpenIncident });
  const all: TableColumn<AlertRecord>[] = entity
    ? [
        ...columns,
        {
          title: 'Actions',
          field: 'id',
          cellStyle: noWrap,
          render: alert => (
            <AlertActions
              entity={entity}
              alert={alert}
              disabledReason={disabledReason}
              onDone={() => onChanged?.()}
            />
          ),
        },
      ]
    : columns;
  return (
    <Table<AlertRecord>
      title="Alerts"
      subtitle="Firing, pending and resolved in the last 24 hours"
      options={{
        search: false,
        paging: false,
        padding: 'dense',
        sorting: false,
      }}
      columns={all}
      data={visibleAlerts(props.alerts).map(alert => ({ ...alert }))}
      detailPanel={
        entity
          ? [
              {
                tooltip: 'Deliveries',
                render: alert => (
                  <AlertDeliveries entity={entity} alertId={alert.rowData.id} />
                ),
              },
            ]
          : undefined
      }
      emptyContent={
        <Typography variant="body2" style={{ padding: 16 }}>
          No alert has fired in the last 24 hours.
        </Typography>
      }
    />
  );
}
