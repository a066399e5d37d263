import { ReactNode } from 'react';
import { InfoCard, Link, StructuredMetadataTable } from '@backstage/core-components';
import {
  ANNOTATION_ALERT_ROUTE,
  ANNOTATION_COST,
  ANNOTATION_METRICS_SOURCE,
  ANNOTATION_RULES,
  ANNOTATION_RUNBOOK,
  ANNOTATION_RUNTIME,
  ANNOTATION_STRATEGY,
  ModelSpec,
  ModelSpecProblem,
} from '@model-ops/plugin-model-ops-common';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import AlertTitle from '@material-ui/lab/AlertTitle';

/**
 * Every bad annotation of a model: key, value, what went wrong and what is allowed.
 */
export function ModelSpecProblems(props: { problems: ModelSpecProblem[] }) {
  const { problems } = props;
  if (problems.length === 0) {
    return null;
  }
  return (
    <Alert severity="error" data-testid="model-spec-problems">
      <AlertTitle>
        {problems.length === 1
          ? 'This model has a bad annotation'
          : `This model has ${problems.length} bad annotations`}
        ; it will not be deployed until it is fixed
      </AlertTitle>
      <ul style={{ margin: 0, paddingLeft: 20 }}>
        {problems.map(problem => (
          <li key={problem.annotation}>
            <Typography variant="body2" component="span">
              <code>{problem.annotation}</code>
              {problem.value ? (
                <>
                  {' '}
                  = <code>{JSON.stringify(problem.value)}</code>
                </>
              ) : null}
              : {problem.message}
              {problem.allowed && problem.allowed.length > 0
                ? ` (allowed: ${problem.allowed.join(', ')})`
                : ''}
            </Typography>
          </li>
        ))}
      </ul>
    </Alert>
  );
}

/**
 * The model as its annotations declare it. A field whose annotation is bad shows the bad value,
 * marked, rather than the default the backend fell back to.
 */
export function ModelSpecCard(props: {
  spec?: ModelSpec;
  problems?: ModelSpecProblem[];
  title?: string;
}) {
  const { spec, problems = [], title = 'Declared model' } = props;
  if (!spec) {
    return (
      <InfoCard title={title}>
        <Typography variant="body2">
          The model id is missing or invalid, so nothing else can be read.
        </Typography>
      </InfoCard>
    );
  }
  const show = (annotation: string, value: ReactNode) => {
    const problem = problems.find(p => p.annotation === annotation);
    if (!problem) {
      return value;
    }
    return (
      <Typography variant="body2" color="error" component="span">
        {problem.value} (invalid)
      </Typography>
    );
  };
  return (
    <InfoCard title={title}>
      <StructuredMetadataTable
        dense
        metadata={{
          'Model id': spec.modelId,
          Runtime: show(ANNOTATION_RUNTIME, spec.runtime),
          Strategy: show(ANNOTATION_STRATEGY, spec.strategy),
          'Metrics source': show(ANNOTATION_METRICS_SOURCE, spec.metricsSource),
          'Rule set': show(ANNOTATION_RULES, spec.rules),
          'Alert route': show(ANNOTATION_ALERT_ROUTE, spec.alertRoute),
          'Cost model': show(ANNOTATION_COST, spec.costModel),
          Runbook: show(
            ANNOTATION_RUNBOOK,
            spec.runbook ? <Link to={spec.runbook}>{spec.runbook}</Link> : 'none',
          ),
        }}
      />
    </InfoCard>
  );
}
