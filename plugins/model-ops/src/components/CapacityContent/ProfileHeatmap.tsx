import { CSSProperties, useMemo } from 'react';
import {
  CapacityProfileCell,
  CapacityReport,
} from '@model-ops/plugin-model-ops-common';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { Theme, alpha, makeStyles, useTheme } from '@material-ui/core/styles';
import { ChartSection } from './ChartSection';
import { csvFileName, profileCsv, profileMarginsCsv } from './csv';
import { formatNumber, hourLabel, weekdayName } from './format';

const HOURS = Array.from({ length: 24 }, (_, hour) => hour);
const ISO_WEEKDAYS = [1, 2, 3, 4, 5, 6, 7];

const useStyles = makeStyles((theme: Theme) => ({
  table: {
    borderCollapse: 'separate',
    borderSpacing: 2,
    width: '100%',
    tableLayout: 'fixed',
    fontSize: theme.typography.caption.fontSize,
  },
  rowHeader: {
    width: 88,
    textAlign: 'left',
    fontWeight: 'normal',
    whiteSpace: 'nowrap',
    paddingRight: theme.spacing(1),
  },
  hourHeader: {
    fontWeight: 'normal',
    color: theme.palette.text.secondary,
    textAlign: 'center',
    overflow: 'hidden',
  },
  perDay: {
    width: 88,
    textAlign: 'right',
    whiteSpace: 'nowrap',
    paddingLeft: theme.spacing(1),
  },
  cell: {
    height: 22,
    borderRadius: 2,
    padding: 0,
  },
  empty: {
    backgroundImage: `repeating-linear-gradient(45deg, ${theme.palette.divider} 0 2px, transparent 2px 6px)`,
  },
  peak: {
    outline: `2px solid ${theme.palette.text.primary}`,
    outlineOffset: -1,
  },
  legendBar: {
    width: 160,
    height: 10,
    borderRadius: 2,
  },
  legendSwatch: {
    width: 14,
    height: 10,
    borderRadius: 2,
    display: 'inline-block',
  },
}));

/** The share of the scale's top a value reaches, 0 to 1. */
function share(value: number, max: number): number {
  return max > 0 ? Math.min(1, Math.max(0, value / max)) : 0;
}

/** The peak cell: the most requests on average, of the cells any hour fell in. */
export function peakCell(
  profile: CapacityProfileCell[],
): CapacityProfileCell | undefined {
  let peak: CapacityProfileCell | undefined;
  for (const cell of profile) {
    if (cell.samples > 0 && (!peak || cell.requests > peak.requests)) {
      peak = cell;
    }
  }
  return peak;
}

/**
 * The weekday by hour-of-day profile as a 7 × 24 grid coloured by average requests per hour, with
 * the average hour of each hour of the day below and the average day of each weekday beside.
 * Each cell is labelled for screen readers; cells no hour of the period fell in are hatched.
 */
export function ProfileHeatmap(props: { report: CapacityReport }) {
  const { report } = props;
  const { requests } = report;
  const classes = useStyles();
  const theme = useTheme();
  const cells = useMemo(() => {
    const map = new Map<string, CapacityProfileCell>();
    for (const cell of requests.profile) {
      map.set(`${cell.weekday}:${cell.hour}`, cell);
    }
    return map;
  }, [requests.profile]);
  const peak = peakCell(requests.profile);
  const max = Math.max(
    0,
    ...requests.profile.filter(c => c.samples > 0).map(c => c.requests),
    ...requests.byHourOfDay.map(h => h.requests),
  );
  const color = (value: number) =>
    alpha(theme.palette.primary.main, 0.06 + 0.94 * share(value, max));
  const style = (value: number): CSSProperties => ({
    backgroundColor: color(value),
  });

  return (
    <ChartSection
      id="profile"
      title="Requests by weekday and hour of day"
      caption={`Average requests per hour, hours of the day and weekdays in ${report.timeZone}`}
      csv={[
        {
          label: 'weekday and hour profile',
          fileName: csvFileName(report, 'profile'),
          table: () => profileCsv(requests),
        },
        {
          label: 'profile by hour of day and by weekday',
          fileName: csvFileName(report, 'profile-margins'),
          table: () => profileMarginsCsv(requests),
        },
      ]}
    >
      {peak && (
        <Typography variant="body2" gutterBottom>
          Busiest: {weekdayName(peak.weekday)} {hourLabel(peak.hour)}, with{' '}
          {formatNumber(peak.requests)} requests an hour on average; the busiest
          hour is {formatNumber(requests.peakToAverage)}× the average hour.
        </Typography>
      )}
      <Box overflow="auto">
        <table
          className={classes.table}
          aria-label="Average requests per hour by weekday and hour of day"
        >
          <thead>
            <tr>
              <th className={classes.rowHeader} aria-label="Weekday" />
              {HOURS.map(hour => (
                <th
                  key={hour}
                  scope="col"
                  className={classes.hourHeader}
                  aria-label={hourLabel(hour)}
                >
                  {hour % 3 === 0 ? String(hour).padStart(2, '0') : ''}
                </th>
              ))}
              <th scope="col" className={classes.perDay}>
                Per day
              </th>
            </tr>
          </thead>
          <tbody>
            {ISO_WEEKDAYS.map(weekday => {
              const day = requests.byWeekday.find(w => w.weekday === weekday);
              return (
                <tr key={weekday}>
                  <th scope="row" className={classes.rowHeader}>
                    {weekdayName(weekday)}
                  </th>
                  {HOURS.map(hour => {
                    const cell = cells.get(`${weekday}:${hour}`);
                    const isPeak =
                      peak?.weekday === weekday && peak?.hour === hour;
                    const label =
                      cell && cell.samples > 0
                        ? `${weekdayName(weekday)} ${hourLabel(
                            hour,
                          )}: ${formatNumber(
                            cell.requests,
                          )} requests on average over ${cell.samples} ${
                            cell.samples === 1 ? 'hour' : 'hours'
                          }${isPeak ? ' (peak)' : ''}`
                        : `${weekdayName(weekday)} ${hourLabel(
                            hour,
                          )}: no hours in this period`;
                    return (
                      <td
                        key={hour}
                        aria-label={label}
                        title={label}
                        data-peak={isPeak || undefined}
                        className={[
                          classes.cell,
                          cell && cell.samples > 0 ? '' : classes.empty,
                          isPeak ? classes.peak : '',
                        ].join(' ')}
                        style={
                          cell && cell.samples > 0
                            ? style(cell.requests)
                            : undefined
                        }
                      />
                    );
                  })}
                  <td className={classes.perDay}>
                    {day ? formatNumber(day.requests) : '—'}
                  </td>
                </tr>
              );
            })}
            <tr>
              <th scope="row" className={classes.rowHeader}>
                Average
              </th>
              {HOURS.map(hour => {
                const value = requests.byHourOfDay.find(h => h.hour === hour);
                const label = `Any day ${hourLabel(hour)}: ${
                  value ? formatNumber(value.requests) : 'no'
                } requests on average${
                  requests.peakHour === hour ? ' (peak hour)' : ''
                }`;
                return (
                  <td
                    key={hour}
                    aria-label={label}
                    title={label}
                    className={classes.cell}
                    style={value ? style(value.requests) : undefined}
                  />
                );
              })}
              <td className={classes.perDay} />
            </tr>
          </tbody>
        </table>
      </Box>
      <Box
        display="flex"
        alignItems="center"
        flexWrap="wrap"
        mt={1}
        style={{ gap: 8 }}
        aria-label="Legend"
        role="group"
      >
        <Typography variant="caption">0</Typography>
        <Box
          className={classes.legendBar}
          style={{
            backgroundImage: `linear-gradient(to right, ${color(0)}, ${color(
              max,
            )})`,
          }}
        />
        <Typography variant="caption">
          {formatNumber(max)} requests an hour
        </Typography>
        <Box ml={2} display="flex" alignItems="center" style={{ gap: 4 }}>
          <span className={`${classes.legendSwatch} ${classes.empty}`} />
          <Typography variant="caption">no hours in this period</Typography>
        </Box>
        {peak && (
          <Box ml={2} display="flex" alignItems="center" style={{ gap: 4 }}>
            <span
              className={`${classes.legendSwatch} ${classes.peak}`}
              style={style(peak.requests)}
            />
            <Typography variant="caption">peak</Typography>
          </Box>
        )}
      </Box>
    </ChartSection>
  );
}
