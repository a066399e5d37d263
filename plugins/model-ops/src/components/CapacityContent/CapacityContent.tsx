import { useMemo, useState } from 'react';
import {
  EmptyState,
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import {
  CapacityPeriod,
  CapacityReport,
  ModelDetails,
} from '@model-ops/plugin-model-ops-common';
import Box from '@material-ui/core/Box';
import Grid from '@material-ui/core/Grid';
import LinearProgress from '@material-ui/core/LinearProgress';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import ToggleButton from '@material-ui/lab/ToggleButton';
import ToggleButtonGroup from '@material-ui/lab/ToggleButtonGroup';
import { ModelContentLayout } from '../ModelContentLayout';
import { BottlenecksPanel } from './BottlenecksPanel';
import {
  CostPerDayChart,
  ProjectionChart,
  RequestsPerHourChart,
  UtilizationChart,
} from './CapacityCharts';
import { csvFileName, recommendationsCsv } from './csv';
import { CsvButton } from './CsvButton';
import { momentFormatter, periodLabel } from './format';
import { ProfileHeatmap } from './ProfileHeatmap';
import { ProjectionPanel } from './ProjectionPanel';
import { RecommendationsPanel } from './RecommendationsPanel';
import { CAPACITY_PERIODS, useCapacity } from './useCapacity';
import { CapacityTotals, CostDetails, RequestPatterns } from './UsagePanels';

/** The 24 h / 7 d / 30 d choice. */
export function PeriodSelector(props: {
  value: CapacityPeriod;
  onChange: (period: CapacityPeriod) => void;
}) {
  return (
    <ToggleButtonGroup
      exclusive
      size="small"
      value={props.value}
      aria-label="Capacity period"
      onChange={(_, id: CapacityPeriod | null) => {
        if (id) props.onChange(id);
      }}
    >
      {CAPACITY_PERIODS.map(period => (
        <ToggleButton key={period.id} value={period.id}>
          {period.label}
        </ToggleButton>
      ))}
    </ToggleButtonGroup>
  );
}

/** Says which part of the period is demo history rather than measured. */
export function SeededBanner(props: { report: CapacityReport }) {
  const { seeded, timeZone } = props.report;
  const seededHours = props.report.hours.filter(h => h.seeded).length;
  if (!seeded && seededHours === 0) return null;
  const format = momentFormatter(timeZone, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
  return (
    <Alert severity="info" data-testid="capacity-seeded">
      <strong>Seeded demo history.</strong>{' '}
      {seeded
        ? `The samples from ${format(seeded.from)} to ${format(
            seeded.to,
          )} were seeded, not measured: ${seeded.note}`
        : 'Some of the samples of this period were seeded, not measured.'}{' '}
      {seededHours > 0 &&
        `${seededHours} of the ${props.report.hours.length} hours shown are seeded; the charts shade them.`}
    </Alert>
  );
}

/** Everything a capacity report says, in cards. */
export function CapacityReportView(props: { report: CapacityReport }) {
  const { report } = props;
  if (report.hours.length === 0 && report.requests.total === 0) {
    return (
      <Grid item xs={12}>
        <EmptyState
          missing="data"
          title={`No usage stored for the last ${periodLabel(report.period)}`}
          description="Usage, bottlenecks, projections and recommendations are computed from the metrics the monitoring scheduler stores; none are stored for this model in this period yet."
        />
      </Grid>
    );
  }
  return (
    <>
      <Grid item xs={12}>
        <InfoCard title="Request volume">
          <Grid container spacing={3}>
            <Grid item xs={12} lg={6}>
              <RequestsPerHourChart report={report} />
            </Grid>
            <Grid item xs={12} lg={6}>
              <ProjectionChart report={report} />
            </Grid>
          </Grid>
        </InfoCard>
      </Grid>
      <Grid item xs={12}>
        <InfoCard
          title="Recommendations"
          subheader="Highest priority first"
          action={
            <CsvButton
              label="recommendations"
              fileName={csvFileName(report, 'recommendations')}
              table={() => recommendationsCsv(report.recommendations)}
              disabled={report.recommendations.length === 0}
            />
          }
        >
          <RecommendationsPanel recommendations={report.recommendations} />
        </InfoCard>
      </Grid>
      <Grid item xs={12} md={6}>
        <InfoCard title="Bottlenecks">
          <UtilizationChart report={report} />
          <BottlenecksPanel report={report} />
        </InfoCard>
      </Grid>
      <Grid item xs={12} md={6}>
        <InfoCard title="Projection">
          <ProjectionPanel report={report} />
        </InfoCard>
      </Grid>
      <Grid item xs={12}>
        <InfoCard title="Request profile">
          <ProfileHeatmap report={report} />
        </InfoCard>
      </Grid>
      <Grid item xs={12} md={6}>
        <InfoCard title="Usage">
          <RequestPatterns report={report} />
        </InfoCard>
      </Grid>
      <Grid item xs={12} md={6}>
        <InfoCard title="Cost">
          <CostPerDayChart report={report} />
          <CostDetails report={report} />
        </InfoCard>
      </Grid>
    </>
  );
}

/**
 * The live part of the Capacity tab: the report over the chosen period, fetched again when the
 * period changes and every few minutes. While another period loads, the previous report stays
 * with a progress bar over it.
 */
export function ModelCapacity(props: {
  model: Pick<ModelDetails, 'kind' | 'namespace' | 'name'>;
}) {
  const { kind, namespace, name } = props.model;
  const ref = useMemo(
    () => ({ kind, namespace, name }),
    [kind, namespace, name],
  );
  const [period, setPeriod] = useState<CapacityPeriod>('7d');
  const { value, error, loading } = useCapacity(ref, period);
  // An answer for another period is shown while this one loads, never in place of its error.
  const failed = error && (!value || (value.period !== period && !loading));

  let body;
  if (failed) {
    body = (
      <ResponseErrorPanel
        error={error}
        title="Could not load the capacity report"
      />
    );
  } else if (!value) {
    body = <Progress />;
  } else {
    const format = momentFormatter(value.timeZone, {
      month: 'short',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
    });
    body = (
      <>
        {loading && <LinearProgress aria-label="Loading the capacity report" />}
        {error && (
          <Box mb={2}>
            <Alert severity="warning">
              Could not refresh the capacity report: {error.message}
            </Alert>
          </Box>
        )}
        <SeededBanner report={value} />
        <Box mt={2}>
          <CapacityTotals report={value} />
        </Box>
        <Box mt={1}>
          <Typography variant="caption" color="textSecondary">
            {`${format(value.from)} – ${format(value.to)} (${
              value.timeZone
            }), priced with the cost model ${value.costModel.name}`}
          </Typography>
        </Box>
      </>
    );
  }

  return (
    <>
      <Grid item xs={12}>
        <InfoCard
          title="Capacity"
          subheader="Usage, bottlenecks, projections, costs and recommendations"
          action={<PeriodSelector value={period} onChange={setPeriod} />}
        >
          {body}
        </InfoCard>
      </Grid>
      {value && !failed && <CapacityReportView report={value} />}
    </>
  );
}

/** The Capacity tab of a model's entity page. */
export function CapacityContent() {
  return (
    <ModelContentLayout>
      {model => <ModelCapacity model={model} />}
    </ModelContentLayout>
  );
}
