import { ReactNode } from 'react';
import { CapacityRecommendation } from '@model-ops/plugin-model-ops-common';
import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import Divider from '@material-ui/core/Divider';
import Typography from '@material-ui/core/Typography';
import { makeStyles, Theme } from '@material-ui/core/styles';
import { formatDate, formatNumber } from './format';

const TYPE_LABELS: Record<CapacityRecommendation['type'], string> = {
  scaling: 'Scaling',
  cost_optimization: 'Cost optimization',
  planning: 'Planning',
  right_sizing: 'Right-sizing',
};

const useStyles = makeStyles((theme: Theme) => ({
  high: {
    backgroundColor: theme.palette.error.main,
    color: theme.palette.error.contrastText,
  },
  medium: {
    backgroundColor: theme.palette.warning?.main ?? '#ff9800',
    color: theme.palette.warning?.contrastText ?? '#000',
  },
  low: {},
  term: {
    fontWeight: theme.typography.fontWeightMedium as number,
  },
}));

/** A figure's name as written in the report, e.g. `cpuAverage`, read as `cpu average`. */
export function figureName(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .toLowerCase();
}

function PriorityChip(props: { priority: CapacityRecommendation['priority'] }) {
  const classes = useStyles();
  return (
    <Chip
      size="small"
      className={classes[props.priority]}
      label={`${props.priority} priority`}
    />
  );
}

function Term(props: { name: string; children: ReactNode }) {
  const classes = useStyles();
  return (
    <Typography variant="body2" component="div">
      <span className={classes.term}>{props.name}:</span> {props.children}
    </Typography>
  );
}

/** One recommendation: what, why (the figures), what to do, what it brings, and by when. */
export function RecommendationItem(props: {
  recommendation: CapacityRecommendation;
}) {
  const r = props.recommendation;
  const figures = Object.entries(r.figures);
  const titleId = `model-ops-recommendation-${r.id}`;
  return (
    <Box component="article" aria-labelledby={titleId} py={1.5}>
      <Box
        display="flex"
        alignItems="center"
        flexWrap="wrap"
        style={{ gap: 8 }}
      >
        <PriorityChip priority={r.priority} />
        <Chip
          size="small"
          variant="outlined"
          label={TYPE_LABELS[r.type] ?? r.type}
        />
        <Typography id={titleId} variant="subtitle1" component="h3">
          {r.title}
        </Typography>
      </Box>
      <Typography variant="body2" paragraph style={{ marginTop: 8 }}>
        {r.description}
      </Typography>
      <Term name="Action">{r.action}</Term>
      <Term name="Expected impact">{r.expectedImpact}</Term>
      {r.actBy && <Term name="Act by">{formatDate(r.actBy)}</Term>}
      {figures.length > 0 && (
        <Box
          mt={1}
          display="flex"
          flexWrap="wrap"
          style={{ gap: 4 }}
          role="list"
          aria-label={`Figures behind: ${r.title}`}
        >
          {figures.map(([name, value]) => (
            <Chip
              key={name}
              role="listitem"
              size="small"
              variant="outlined"
              label={`${figureName(name)}: ${formatNumber(value)}`}
            />
          ))}
        </Box>
      )}
    </Box>
  );
}

/** The report's recommendations, highest priority first, as the report orders them. */
export function RecommendationsPanel(props: {
  recommendations: CapacityRecommendation[];
}) {
  const { recommendations } = props;
  if (recommendations.length === 0) {
    return (
      <Typography variant="body2" color="textSecondary">
        No recommendations: utilization, cost per request and growth are within
        the thresholds.
      </Typography>
    );
  }
  return (
    <Box>
      {recommendations.map((r, i) => (
        <Box key={r.id}>
          {i > 0 && <Divider />}
          <RecommendationItem recommendation={r} />
        </Box>
      ))}
    </Box>
  );
}
