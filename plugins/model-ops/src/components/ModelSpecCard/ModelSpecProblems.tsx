import { ModelSpecProblem } from '@model-ops/plugin-model-ops-common';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import AlertTitle from '@material-ui/lab/AlertTitle';

/** Whether a problem keeps the model from being deployed (every one but a warning). */
export function isBlockingProblem(problem: ModelSpecProblem): boolean {
  return problem.severity !== 'warning';
}

function ProblemList(props: { problems: ModelSpecProblem[] }) {
  return (
    <ul style={{ margin: 0, paddingLeft: 20 }}>
      {props.problems.map(problem => (
        <li key={`${problem.annotation}:${problem.message}`}>
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
  );
}

/**
 * Every bad annotation of a model: key, value, what went wrong and what is allowed; warnings,
 * which leave the model working, apart from the errors that block it.
 */
export function ModelSpecProblems(props: { problems: ModelSpecProblem[] }) {
  const errors = props.problems.filter(isBlockingProblem);
  const warnings = props.problems.filter(p => !isBlockingProblem(p));
  return (
    <>
      {errors.length > 0 && (
        <Alert severity="error" data-testid="model-spec-problems">
          <AlertTitle>
            {errors.length === 1
              ? 'This model has a bad annotation'
              : `This model has ${errors.length} bad annotations`}
            ; it will not be deployed until it is fixed
          </AlertTitle>
          <ProblemList problems={errors} />
        </Alert>
      )}
      {warnings.length > 0 && (
        <Box mt={errors.length > 0 ? 1 : 0}>
          <Alert severity="warning" data-testid="model-spec-warnings">
            <AlertTitle>
              {warnings.length === 1
                ? 'This model has a warning'
                : `This model has ${warnings.length} warnings`}
              ; it still works
            </AlertTitle>
            <ProblemList problems={warnings} />
          </Alert>
        </Box>
      )}
    </>
  );
}
