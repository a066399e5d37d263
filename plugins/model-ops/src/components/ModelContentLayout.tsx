import { ReactNode } from 'react';
import { Progress, ResponseErrorPanel } from '@backstage/core-components';
import { ModelDetails } from '@model-ops/plugin-model-ops-common';
import Grid from '@material-ui/core/Grid';
import { useModel } from '../hooks/useModel';
import { ModelSpecCard } from './ModelSpecCard';

/**
 * The frame of every Model Ops tab: loads the model, shows its declared spec and bad annotations
 * as a compact strip across the top, and hands the details to the tab's own content, which gets
 * the full width below (its grid items go straight into this grid).
 */
export function ModelContentLayout(props: {
  children: (model: ModelDetails, retry: () => void) => ReactNode;
}) {
  const { value, loading, error, retry } = useModel();
  if (loading && !value) {
    return <Progress />;
  }
  if (error) {
    return <ResponseErrorPanel error={error} />;
  }
  if (!value) {
    return null;
  }
  return (
    <Grid container spacing={3}>
      <Grid item xs={12}>
        <ModelSpecCard
          spec={value.spec}
          problems={value.problems}
          owner={value.owner}
        />
      </Grid>
      {props.children(value, retry)}
    </Grid>
  );
}
