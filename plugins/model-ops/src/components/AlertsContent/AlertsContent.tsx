import { InfoCard, StructuredMetadataTable } from '@backstage/core-components';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import { ModelContentLayout } from '../ModelContentLayout';
import { ModelStatusChip } from '../ModelStatusChip';

/** The Alerts tab of a model's entity page. */
export function AlertsContent() {
  return (
    <ModelContentLayout>
      {model => (
        <Grid item xs={12}>
          <InfoCard title="Status">
            <StructuredMetadataTable
              metadata={{
                Status: <ModelStatusChip status={model.status} />,
                'Rule set': model.spec?.rules ?? '—',
                'Alert route': model.spec?.alertRoute ?? '—',
                'Metrics source': model.spec?.metricsSource ?? '—',
                'Open alerts':
                  model.openAlerts === undefined ? 'not reported' : model.openAlerts,
              }}
            />
            {model.status === 'unknown' && (
              <Typography variant="body2" color="textSecondary">
                No metrics have been collected for this model yet, so its rules have
                nothing to judge.
              </Typography>
            )}
          </InfoCard>
        </Grid>
      )}
    </ModelContentLayout>
  );
}
