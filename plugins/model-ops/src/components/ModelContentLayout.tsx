import { ReactNode } from 'react';
import { Progress, ResponseErrorPanel } from '@backstage/core-components';
import { ModelDetails } from '@model-ops/plugin-model-ops-common';
import Grid from '@material-ui/core/Grid';
import { useModel } from '../hooks/useModel';
import { ModelSpecCard, ModelSpecProblems } from './ModelSpecCard';

/**
 * The frame of every Model Ops tab: loads the model, shows its bad annotations and its declared
 * spec, and hands the details to the tab's own content.
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
      {value.problems.length > 0 && (
        <Grid item xs={12}>
          <ModelSpecProblems problems={value.problems} />
        </Grid>
      )}
      <Grid item xs={12} md={8}>
        <Grid container spacing={3}>
          {props.children(value, retry)}
        </Grid>
      </Grid>
      <Grid item xs={12} md={4}>
        <ModelSpecCard spec={value.spec} problems={value.problems} />
      </Grid>
    </Grid>
  );
}
