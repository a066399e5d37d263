import { InfoCard, StructuredMetadataTable } from '@backstage/core-components';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import { ModelContentLayout } from '../ModelContentLayout';

/** The Capacity tab of a model's entity page. */
export function CapacityContent() {
  return (
    <ModelContentLayout>
      {model => (
        <Grid item xs={12}>
          <InfoCard title="Capacity">
            <StructuredMetadataTable
              metadata={{
                'Cost model': model.spec?.costModel ?? '—',
                'Production version': model.productionVersion ?? 'none',
                'Running slots': model.slots.filter(s => s.state === 'running')
                  .length,
              }}
            />
            <Typography variant="body2" color="textSecondary">
              Usage, bottlenecks and projections are computed from the metrics
              the monitoring scheduler stores; none are stored for this model
              yet.
            </Typography>
          </InfoCard>
        </Grid>
      )}
    </ModelContentLayout>
  );
}
