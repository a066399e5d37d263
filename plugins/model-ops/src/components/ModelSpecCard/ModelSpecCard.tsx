import { ReactNode } from 'react';
import { Link } from '@backstage/core-components';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
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
import Card from '@material-ui/core/Card';
import CardContent from '@material-ui/core/CardContent';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import { TruncatedText } from '../CompactText';
import { ModelSpecProblems } from './ModelSpecProblems';

const useStyles = makeStyles(theme => ({
  content: {
    padding: theme.spacing(1.5, 2),
    '&:last-child': { paddingBottom: theme.spacing(1.5) },
  },
  facts: {
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'flex-end',
    columnGap: theme.spacing(4),
    rowGap: theme.spacing(1),
  },
  title: { marginRight: theme.spacing(1) },
  fact: { minWidth: 0 },
  problems: { marginTop: theme.spacing(1.5) },
}));

/** One fact of the strip: a small label over a value that stays on one line. */
function Fact(props: {
  label: string;
  text: string;
  invalid?: boolean;
  children?: ReactNode;
}) {
  const classes = useStyles();
  return (
    <div className={classes.fact}>
      <Typography variant="caption" color="textSecondary" component="div">
        {props.label}
      </Typography>
      <TruncatedText
        text={props.text}
        maxWidth={240}
        color={props.invalid ? 'error' : undefined}
      >
        {props.children}
      </TruncatedText>
    </div>
  );
}

/**
 * The model as its annotations declare it, as a strip of facts across the top of a tab, with its
 * bad annotations below when it has any. A field whose annotation is bad shows the bad value,
 * marked, rather than the default the backend fell back to.
 */
export function ModelSpecCard(props: {
  spec?: ModelSpec;
  problems?: ModelSpecProblem[];
  owner?: string;
  title?: string;
}) {
  const { spec, problems = [], owner, title = 'Declared model' } = props;
  const classes = useStyles();

  const declared = (label: string, annotation: string, value: string) => {
    const problem = problems.find(p => p.annotation === annotation);
    return problem ? (
      <Fact label={label} text={`${problem.value} (invalid)`} invalid />
    ) : (
      <Fact label={label} text={value} />
    );
  };

  let facts: ReactNode;
  if (!spec) {
    facts = (
      <Typography variant="body2">
        The model id is missing or invalid, so nothing else can be read.
      </Typography>
    );
  } else {
    facts = (
      <>
        <Fact label="Model id" text={spec.modelId} />
        {declared('Runtime', ANNOTATION_RUNTIME, spec.runtime)}
        {declared('Strategy', ANNOTATION_STRATEGY, spec.strategy)}
        {declared(
          'Metrics source',
          ANNOTATION_METRICS_SOURCE,
          spec.metricsSource,
        )}
        {declared('Rule set', ANNOTATION_RULES, spec.rules)}
        {declared('Alert route', ANNOTATION_ALERT_ROUTE, spec.alertRoute)}
        {declared('Cost model', ANNOTATION_COST, spec.costModel)}
        {spec.runbook &&
        !problems.some(p => p.annotation === ANNOTATION_RUNBOOK) ? (
          <Fact label="Runbook" text={spec.runbook}>
            <Link to={spec.runbook}>{spec.runbook}</Link>
          </Fact>
        ) : (
          declared('Runbook', ANNOTATION_RUNBOOK, 'none')
        )}
      </>
    );
  }

  return (
    <Card data-testid="model-spec-card">
      <CardContent className={classes.content}>
        <div className={classes.facts}>
          <Typography
            variant="subtitle2"
            component="h2"
            className={classes.title}
          >
            {title}
          </Typography>
          {facts}
          {owner && (
            <Fact label="Owner" text={owner}>
              <EntityRefLink
                entityRef={owner}
                defaultKind="group"
                disableTooltip
              />
            </Fact>
          )}
        </div>
        {problems.length > 0 && (
          <div className={classes.problems}>
            <ModelSpecProblems problems={problems} />
          </div>
        )}
      </CardContent>
    </Card>
  );
}
