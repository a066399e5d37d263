import { ReactNode } from 'react';
import { EnvironmentSlot } from '@model-ops/plugin-model-ops-common';
import Box from '@material-ui/core/Box';
import Card from '@material-ui/core/Card';
import CardContent from '@material-ui/core/CardContent';
import CardHeader from '@material-ui/core/CardHeader';
import Chip from '@material-ui/core/Chip';
import LinearProgress from '@material-ui/core/LinearProgress';
import Typography from '@material-ui/core/Typography';
import ActiveIcon from '@material-ui/icons/RadioButtonChecked';
import { HealthStatus, colorName, formatTime } from './statuses';

/** Accent of each color; the name is always written out too, so colour is never the only cue. */
const ACCENT: Record<EnvironmentSlot['slot'], string> = {
  blue: '#1e88e5',
  green: '#43a047',
};

function Row(props: { label: string; children: ReactNode }) {
  return (
    <Box display="flex" alignItems="center" mb={1}>
      <Typography
        variant="body2"
        color="textSecondary"
        component="span"
        style={{ minWidth: 80 }}
      >
        {props.label}
      </Typography>
      <Box
        component="span"
        flex={1}
        minWidth={0}
        style={{ overflowWrap: 'anywhere' }}
      >
        {props.children}
      </Box>
    </Box>
  );
}

/** One production color: its version, whether it serves, its traffic share, health and endpoint. */
export function SlotCard(props: { slot: EnvironmentSlot }) {
  const { slot } = props;
  const name = colorName(slot.slot);
  const titleId = `model-ops-env-${slot.slot}-title`;
  const weight = Math.max(0, Math.min(100, slot.trafficWeight ?? 0));
  const warm = !slot.active && slot.state === 'running' && slot.warmUntil;
  return (
    <Card
      component="section"
      aria-labelledby={titleId}
      variant="outlined"
      style={{ borderTop: `4px solid ${ACCENT[slot.slot]}`, height: '100%' }}
    >
      <CardHeader
        title={
          <span
            id={titleId}
            style={{ textTransform: 'uppercase', letterSpacing: 1 }}
          >
            {name}
          </span>
        }
        titleTypographyProps={{ variant: 'h6' }}
        action={
          slot.active ? (
            <Chip
              icon={<ActiveIcon />}
              label="Active"
              color="primary"
              size="small"
              style={{ marginTop: 8, marginRight: 8 }}
            />
          ) : (
            <Chip
              label="Idle"
              variant="outlined"
              size="small"
              style={{ marginTop: 8, marginRight: 8 }}
            />
          )
        }
      />
      <CardContent>
        <Row label="Version">
          <Typography
            variant="body1"
            component="span"
            style={{ fontWeight: 600 }}
            data-testid={`${slot.slot}-version`}
          >
            {slot.version ?? 'empty'}
          </Typography>
        </Row>
        <Row label="State">
          <Typography variant="body2" component="span">
            {slot.state}
          </Typography>
        </Row>
        <Row label="Traffic">
          <Box display="flex" alignItems="center">
            <Box flex={1} mr={1}>
              <LinearProgress
                variant="determinate"
                value={weight}
                aria-label={`${name} traffic weight`}
              />
            </Box>
            <Typography
              variant="body2"
              component="span"
              data-testid={`${slot.slot}-weight`}
            >
              {weight} %
            </Typography>
          </Box>
        </Row>
        <Row label="Health">
          <HealthStatus health={slot.health} />
        </Row>
        <Row label="Endpoint">
          <Typography variant="body2" component="span">
            {slot.endpoint ?? '—'}
          </Typography>
        </Row>
        {warm && (
          <Typography variant="body2" color="textSecondary">
            Warm until {formatTime(slot.warmUntil)}
          </Typography>
        )}
      </CardContent>
    </Card>
  );
}
