import { Link, Table, TableColumn } from '@backstage/core-components';
import { AlertRecord } from '@model-ops/plugin-model-ops-common';
import Typography from '@material-ui/core/Typography';
import {
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

const columns: TableColumn<AlertRecord>[] = [
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
            {alert.acknowledgedComment ? `: ${alert.acknowledgedComment}` : ''}
          </Typography>
        )}
        {alert.escalation && (
          <Typography variant="caption" color="error" component="div">
            escalated: {alert.escalation}
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
        <Link to={alert.runbook} aria-label={`Runbook for ${alert.alertType}`}>
          Runbook
        </Link>
      ) : (
        '—'
      ),
  },
];

/**
 * The firing and pending alerts, and those resolved in the last day. With `entity`, each open
 * alert has Acknowledge and Resolve, and each row opens to show where its notifications went.
 */
export function AlertsTable(props: {
  alerts: AlertRecord[];
  entity?: CompoundEntityRef;
  /** Why the caller may not acknowledge or resolve, when they may not. */
  disabledReason?: string;
  onChanged?: () => void;
}) {
  const { entity, disabledReason, onChanged } = props;
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
