import { ModelSpecProblem } from '@model-ops/plugin-model-ops-common';
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
