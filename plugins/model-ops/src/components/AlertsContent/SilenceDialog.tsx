import { useState } from 'react';
import { CompoundEntityRef } from '@backstage/catalog-model';
import { useApi } from '@backstage/core-plugin-api';
import {
  CreateSilenceRequest,
  SLOT_NAMES,
  Silence,
  SilenceMatchers,
  AlertSlot,
} from '@model-ops/plugin-model-ops-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Checkbox from '@material-ui/core/Checkbox';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import FormControl from '@material-ui/core/FormControl';
import FormControlLabel from '@material-ui/core/FormControlLabel';
import FormGroup from '@material-ui/core/FormGroup';
import FormLabel from '@material-ui/core/FormLabel';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import { modelOpsApiRef } from '../../api';
import { errorMessage } from './format';

/** What the dialog makes: a silence of matching alerts, or a maintenance window of the model. */
export type SilenceKind = Silence['kind'];

/** The durations offered, in minutes; `custom` asks for a number of minutes. */
export const SILENCE_DURATIONS: ReadonlyArray<{
  label: string;
  minutes: number;
}> = [
  { label: '30 min', minutes: 30 },
  { label: '1 h', minutes: 60 },
  { label: '4 h', minutes: 240 },
  { label: '24 h', minutes: 1440 },
  { label: '7 d', minutes: 7 * 1440 },
];

const DEFAULT_MINUTES = 60;
const SEVERITIES = ['warning', 'critical'] as const;

/** A `datetime-local` value (`2026-12-03T14:05`) for a moment, in the reader's zone. */
function localInputValue(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(
    date.getDate(),
  )}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function toggle<T>(list: T[], value: T, on: boolean): T[] {
  return on
    ? [...list.filter(v => v !== value), value]
    : list.filter(v => v !== value);
}

/**
 * Makes a silence (the alerts matching its alert types, severities and slots are recorded but not
 * notified) or a maintenance window (the whole model, from a start time), each with a reason and a
 * duration. The backend's refusal, which names the bad field, is shown in the dialog.
 */
export function SilenceDialog(props: {
  entity: CompoundEntityRef;
  open: boolean;
  kind: SilenceKind;
  /** The matchers the dialog starts with, e.g. an alert's type and slot. */
  matchers?: SilenceMatchers;
  /** What the silence is for, shown above the fields. */
  context?: string;
  onClose: () => void;
  onCreated: (silence: Silence) => void;
}) {
  const { open, onClose } = props;
  // The fields live in a child that the dialog unmounts once closed, so each opening starts afresh.
  return (
    <Dialog
      open={open}
      onClose={onClose}
      fullWidth
      maxWidth="sm"
      aria-labelledby="silence-dialog-title"
    >
      <SilenceForm {...props} />
    </Dialog>
  );
}

function SilenceForm(props: {
  entity: CompoundEntityRef;
  kind: SilenceKind;
  matchers?: SilenceMatchers;
  context?: string;
  onClose: () => void;
  onCreated: (silence: Silence) => void;
}) {
  const api = useApi(modelOpsApiRef);
  const { entity, kind, onClose, onCreated } = props;
  const maintenance = kind === 'maintenance';
  const [alertTypes, setAlertTypes] = useState(
    (props.matchers?.alertType ?? []).join(', '),
  );
  const [severities, setSeverities] = useState<Array<'warning' | 'critical'>>(
    props.matchers?.severity ?? [],
  );
  const [slots, setSlots] = useState<AlertSlot[]>(props.matchers?.slot ?? []);
  const [reason, setReason] = useState('');
  const [duration, setDuration] = useState(String(DEFAULT_MINUTES));
  const [customMinutes, setCustomMinutes] = useState('');
  const [startsAt, setStartsAt] = useState(() => localInputValue(new Date()));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const minutes =
    duration === 'custom' ? Number(customMinutes) : Number(duration);

  const request = (): CreateSilenceRequest => {
    const base = {
      reason: reason.trim(),
      durationMinutes: minutes,
    };
    if (maintenance) {
      const start = new Date(startsAt);
      return {
        kind: 'maintenance',
        ...base,
        ...(Number.isNaN(start.getTime())
          ? {}
          : { startsAt: start.toISOString() }),
      };
    }
    const matchers: SilenceMatchers = {};
    const types = alertTypes
      .split(',')
      .map(t => t.trim())
      .filter(Boolean);
    if (types.length > 0) matchers.alertType = [...new Set(types)];
    if (severities.length > 0) matchers.severity = severities;
    if (slots.length > 0) matchers.slot = slots;
    return { kind: 'silence', matchers, ...base };
  };

  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const silence = await api.createSilence(entity, request());
      onCreated(silence);
      onClose();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const title = maintenance
    ? 'Schedule a maintenance window'
    : 'Silence alerts';
  return (
    <>
      <DialogTitle id="silence-dialog-title">{title}</DialogTitle>
      <DialogContent>
        {props.context && (
          <DialogContentText>{props.context}</DialogContentText>
        )}
        <DialogContentText variant="body2">
          {maintenance
            ? 'Every alert of this model is muted while the window is on: alerts are still recorded and shown, but no channel is notified.'
            : 'Alerts matching every list you fill in are muted until the silence ends: they are still recorded and shown, but no channel is notified. A list left empty matches any value.'}
        </DialogContentText>
        {!maintenance && (
          <>
            <TextField
              id="silence-alert-types"
              label="Alert types"
              helperText="Comma-separated, e.g. high_error_rate, high_cpu_usage"
              value={alertTypes}
              onChange={e => setAlertTypes(e.target.value)}
              fullWidth
              margin="dense"
              variant="outlined"
            />
            <Box display="flex" flexWrap="wrap" mt={1} style={{ gap: 24 }}>
              <FormControl component="fieldset">
                <FormLabel component="legend">Severity</FormLabel>
                <FormGroup row>
                  {SEVERITIES.map(severity => (
                    <FormControlLabel
                      key={severity}
                      label={severity}
                      control={
                        <Checkbox
                          size="small"
                          checked={severities.includes(severity)}
                          onChange={e =>
                            setSeverities(
                              toggle(severities, severity, e.target.checked),
                            )
                          }
                        />
                      }
                    />
                  ))}
                </FormGroup>
              </FormControl>
              <FormControl component="fieldset">
                <FormLabel component="legend">Slot</FormLabel>
                <FormGroup row>
                  {[...SLOT_NAMES, 'production' as const].map(slot => (
                    <FormControlLabel
                      key={slot}
                      label={slot}
                      control={
                        <Checkbox
                          size="small"
                          checked={slots.includes(slot)}
                          onChange={e =>
                            setSlots(toggle(slots, slot, e.target.checked))
                          }
                        />
                      }
                    />
                  ))}
                </FormGroup>
              </FormControl>
            </Box>
          </>
        )}
        {maintenance && (
          <TextField
            id="silence-starts-at"
            label="Starts at"
            type="datetime-local"
            value={startsAt}
            onChange={e => setStartsAt(e.target.value)}
            fullWidth
            margin="dense"
            variant="outlined"
            InputLabelProps={{ shrink: true }}
          />
        )}
        <Box display="flex" style={{ gap: 16 }}>
          <TextField
            id="silence-duration"
            select
            label="Duration"
            value={duration}
            onChange={e => setDuration(e.target.value)}
            SelectProps={{ native: true }}
            margin="dense"
            variant="outlined"
            style={{ minWidth: 160 }}
          >
            {SILENCE_DURATIONS.map(d => (
              <option key={d.minutes} value={String(d.minutes)}>
                {d.label}
              </option>
            ))}
            <option value="custom">Other (minutes)</option>
          </TextField>
          {duration === 'custom' && (
            <TextField
              id="silence-minutes"
              label="Minutes"
              type="number"
              value={customMinutes}
              onChange={e => setCustomMinutes(e.target.value)}
              margin="dense"
              variant="outlined"
              inputProps={{ min: 1, max: 43200, step: 1 }}
            />
          )}
        </Box>
        <TextField
          id="silence-reason"
          label="Reason"
          required
          value={reason}
          onChange={e => setReason(e.target.value)}
          fullWidth
          multiline
          minRows={2}
          margin="dense"
          inputProps={{ maxLength: 2000 }}
          variant="outlined"
        />
        {error && (
          <Typography color="error" variant="body2" role="alert">
            {error}
          </Typography>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose} disabled={busy}>
          Cancel
        </Button>
        <Button
          color="primary"
          variant="contained"
          onClick={submit}
          disabled={
            busy || !reason.trim() || !Number.isFinite(minutes) || minutes <= 0
          }
        >
          {maintenance ? 'Schedule' : 'Silence'}
        </Button>
      </DialogActions>
    </>
  );
}
