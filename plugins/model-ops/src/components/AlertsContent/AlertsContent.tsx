import { useCallback, useMemo, useState } from 'react';
import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  MODEL_METRIC_KEYS,
  ModelDetails,
  modelOpsAlertUpdatePermission,
} from '@model-ops/plugin-model-ops-common';
import Grid from '@material-ui/core/Grid';
import { AlertsTable } from './AlertsTable';
import { IncidentsPanel } from './IncidentsPanel';
import { MetricTile } from './MetricTile';
import { MetricsCharts, RangeSelector } from './MetricsCharts';
import { SilencesPanel } from './SilencesPanel';
import { StatusHeader } from './StatusHeader';
import {
  METRICS_RANGES,
  MetricsRange,
  useModelAlerts,
  useModelIncidents,
  useModelMetrics,
  useModelSilences,
  useModelStatus,
} from './useMonitoring';
import { ModelContentLayout } from '../ModelContentLayout';

/**
 * The live part of the Alerts tab: health, one tile per metric, charts over a chosen range, the
 * alerts, the silences and maintenance windows, and the incidents. The status, alerts, silences
 * and incidents refresh every 15 s, the charts every 60 s; a change made here reloads them at once.
 */
export function ModelMonitoring(props: {
  model: Pick<ModelDetails, 'kind' | 'namespace' | 'name'>;
}) {
  const { kind, namespace, name } = props.model;
  const ref = useMemo(
    () => ({ kind, namespace, name }),
    [kind, namespace, name],
  );
  const [range, setRange] = useState<MetricsRange>(METRICS_RANGES[0]);
  const status = useModelStatus(ref);
  const alerts = useModelAlerts(ref);
  const metrics = useModelMetrics(ref, range);
  const silences = useModelSilences(ref);
  const incidents = useModelIncidents(ref);
  const [incidentId, setIncidentId] = useState<string>();
  // Counts the changes made on the tab, so the incident shown reloads after each.
  const [changes, setChanges] = useState(0);
  const canUpdate = usePermission({
    permission: modelOpsAlertUpdatePermission,
    resourceRef: stringifyEntityRef(ref),
  });
  const disabledReason = canUpdate.allowed
    ? undefined
    : 'You may not change the alerts of this model (model-ops.alert.update)';

  const { refresh: refreshAlerts } = alerts;
  const { refresh: refreshSilences } = silences;
  const { refresh: refreshIncidents } = incidents;
  const changed = useCallback(() => {
    refreshAlerts();
    refreshSilences();
    refreshIncidents();
    setChanges(c => c + 1);
  }, [refreshAlerts, refreshSilences, refreshIncidents]);

  let header;
  if (status.value) {
    header = <StatusHeader status={status.value} refreshError={status.error} />;
  } else if (status.error) {
    header = <ResponseErrorPanel error={status.error} />;
  } else {
    header = <Progress />;
  }

  return (
    <>
      <Grid item xs={12}>
        <InfoCard title="Health">{header}</InfoCard>
      </Grid>
      {status.value && (
        <Grid item xs={12}>
          <InfoCard
            title="Metrics"
            subheader="Current values against the rule set"
          >
            <Grid container spacing={2}>
              {MODEL_METRIC_KEYS.map(metric => (
                <Grid item xs={12} sm={6} lg={4} key={metric}>
                  <MetricTile
                    metric={metric}
                    status={status.value?.metrics.find(
                      m => m.metric === metric,
                    )}
                  />
                </Grid>
              ))}
            </Grid>
          </InfoCard>
        </Grid>
      )}
      <Grid item xs={12}>
        <InfoCard
          title="Trends"
          action={<RangeSelector value={range} onChange={setRange} />}
        >
          <MetricsCharts
            metrics={metrics.value}
            status={status.value}
            range={range}
            loading={metrics.loading}
            error={metrics.error}
          />
        </InfoCard>
      </Grid>
      <Grid item xs={12}>
        {alerts.error && !alerts.value ? (
          <ResponseErrorPanel
            error={alerts.error}
            title="Could not load the alerts"
          />
        ) : (
          <AlertsTable
            alerts={alerts.value?.items ?? []}
            entity={ref}
            disabledReason={disabledReason}
            onChanged={changed}
            silences={silences.value?.items}
            onOpenIncident={setIncidentId}
          />
        )}
      </Grid>
      <Grid item xs={12}>
        <SilencesPanel
          entity={ref}
          silences={silences.value?.items}
          error={silences.error}
          disabledReason={disabledReason}
          onChanged={changed}
        />
      </Grid>
      <Grid item xs={12}>
        <IncidentsPanel
          entity={ref}
          incidents={incidents.value?.items}
          error={incidents.error}
          selectedId={incidentId}
          onSelect={setIncidentId}
          changes={changes}
        />
      </Grid>
    </>
  );
}

/** The Alerts tab of a model's entity page. */
export function AlertsContent() {
  return (
    <ModelContentLayout>
      {model => <ModelMonitoring model={model} />}
    </ModelContentLayout>
  );
}
