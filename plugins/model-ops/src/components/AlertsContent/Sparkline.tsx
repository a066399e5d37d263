import { MetricPoint } from '@model-ops/plugin-model-ops-common';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { useTheme } from '@material-ui/core/styles';
import { Line, LineChart } from 'recharts';

export const SPARKLINE_WIDTH = 160;
export const SPARKLINE_HEIGHT = 36;

/** A small line of the last hour, no axes; the tile states the value in words. */
export function Sparkline(props: { points: MetricPoint[]; label: string }) {
  const theme = useTheme();
  if (props.points.length < 2) {
    return (
      <Typography variant="caption" color="textSecondary">
        No samples in the last hour
      </Typography>
    );
  }
  return (
    <Box role="img" aria-label={props.label} width={SPARKLINE_WIDTH}>
      <LineChart
        width={SPARKLINE_WIDTH}
        height={SPARKLINE_HEIGHT}
        data={props.points}
        margin={{ top: 2, right: 2, bottom: 2, left: 2 }}
      >
        <Line
          type="monotone"
          dataKey="value"
          stroke={theme.palette.primary.main}
          strokeWidth={1.5}
          dot={false}
          isAnimationActive={false}
        />
      </LineChart>
    </Box>
  );
}
