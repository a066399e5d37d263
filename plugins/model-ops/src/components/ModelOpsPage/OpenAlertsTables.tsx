import { useCallback } from 'react';
import {
  Link,
  ResponseErrorPanel,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/core-plugin-api';
import {
  entityRouteParams,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { AlertRecord, Incident } from '@model-ops/plugin-model-ops-common';
import Typography from '@material-ui/core/Typography';
import { modelOpsApiRef } from '../../api';
import { usePolling } from '../../hooks/usePolling';
import { CompactTime, noWrap } from '../CompactText';
import { formatRelative, formatTimestamp } from '../AlertsContent/format';
import {
  DurationCell,
  IncidentStateStatus,
} from '../AlertsContent/IncidentsPanel';
import { SeverityStatus } from '../AlertsContent/statuses';
import { STATUS_POLL_MS } from '../AlertsContent/useMonitoring';

/** A model's name, linking to the Alerts tab of its entity page. */
function ModelAlertsLink(props: { entityRef: string; modelId: string }) {
  const entityRoute = useRouteRef(entityRouteRef);
  let to: string | undefined;
  try {
    to = `${entityRoute(entityRouteParams(props.entityRef))}/alerts`;
  } catch {
    // A ref that does not parse is shown without a link.
  }
  if (!to) return <>{props.modelId}</>;
  return (
    <Link to={to} aria-label={`Alerts of ${props.modelId}`}>
      {props.modelId}
    </Link>
  );
}

const alertColumns: TableColumn<AlertRecord>[] = [
  {
    title: 'Model',
    field: 'modelId',
    highlight: true,
    cellStyle: noWrap,
    render: alert => (
      <ModelAlertsLink entityRef={alert.entityRef} modelId={alert.modelId} />
    ),
  },
  {
    title: 'Alert type',
    field: 'alertType',
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
    title: 'Severity',
    field: 'severity',
    cellStyle: noWrap,
    render: alert => <SeverityStatus severity={alert.severity} />,
  },
  {
    title: 'Since',
    field: 'firingAt',
    cellStyle: noWrap,
    render: alert => {
      const since = alert.firingAt ?? alert.startsAt;
      return (
        <time dateTime={since} title={formatTimestamp(since)}>
          {formatRelative(since)}
        </time>
      );
    },
  },
  {
    title: 'Acknowledged',
    field: 'acknowledgedBy',
    cellStyle: noWrap,
    render: alert => alert.acknowledgedBy ?? 'no',
  },
];

const incidentColumns: TableColumn<Incident>[] = [
  {
    title: 'Model',
    field: 'modelId',
    highlight: true,
    cellStyle: noWrap,
    render: incident => (
      <ModelAlertsLink
        entityRef={incident.entityRef}
        modelId={incident.modelId}
      />
    ),
  },
  { title: 'Incident', field: 'title' },
  {
    title: 'State',
    field: 'state',
    cellStyle: noWrap,
    render: incident => <IncidentStateStatus state={incident.state} />,
  },
  {
    title: 'Severity',
    field: 'severity',
    cellStyle: noWrap,
    render: incident => <SeverityStatus severity={incident.severity} />,
  },
  {
    title: 'Opened',
    field: 'openedAt',
    cellStyle: noWrap,
    render: incident => <CompactTime iso={incident.openedAt} />,
  },
  {
    title: 'Time to acknowledge',
    field: 'timeToAcknowledgeSeconds',
    cellStyle: noWrap,
    render: incident => (
      <DurationCell seconds={incident.timeToAcknowledgeSeconds} />
    ),
  },
  {
    title: 'Time to resolve',
    field: 'timeToResolveSeconds',
    cellStyle: noWrap,
    render: incident => (
      <DurationCell seconds={incident.timeToResolveSeconds} />
    ),
  },
  {
    title: 'Alerts',
    field: 'alertCount',
    type: 'numeric',
    cellStyle: noWrap,
  },
];

const tableOptions = {
  paging: false,
  padding: 'dense',
  search: false,
  sorting: false,
} as const;

/** The firing alerts of every model the caller may see, refreshed every 15 s. */
export function OpenAlertsTable() {
  const api = useApi(modelOpsApiRef);
  const load = useCallback(() => api.listOpenAlerts(), [api]);
  const { value, error, loading } = usePolling(load, {
    key: 'open-alerts',
    intervalMs: STATUS_POLL_MS,
  });
  if (error && !value) {
    return (
      <ResponseErrorPanel
        error={error}
        title="Could not load the open alerts"
      />
    );
  }
  return (
    <Table<AlertRecord>
      title={`Open alerts (${value?.items.length ?? 0})`}
      subtitle="Firing now, across every model"
      isLoading={loading}
      columns={alertColumns}
      data={(value?.items ?? []).map(alert => ({ ...alert }))}
      options={tableOptions}
      emptyContent={
        <Typography variant="body2" style={{ padding: 16 }}>
          No alert is firing.
        </Typography>
      }
    />
  );
}

/** The open incidents of every model, and those resolved in the last day, refreshed every 15 s. */
export function OpenIncidentsTable() {
  const api = useApi(modelOpsApiRef);
  const load = useCallback(() => api.listOpenIncidents(), [api]);
  const { value, error, loading } = usePolling(load, {
    key: 'open-incidents',
    intervalMs: STATUS_POLL_MS,
  });
  if (error && !value) {
    return (
      <ResponseErrorPanel error={error} title="Could not load the incidents" />
    );
  }
  return (
    <Table<Incident>
      title={`Incidents (${value?.items.length ?? 0})`}
      subtitle="Open, and resolved in the last 24 hours"
      isLoading={loading}
      columns={incidentColumns}
      data={(value?.items ?? []).map(incident => ({ ...incident }))}
      options={tableOptions}
      emptyContent={
        <Typography variant="body2" style={{ padding: 16 }}>
          No incident is open, and none was resolved in the last 24 hours.
        </Typography>
      }
    />
  );
}
