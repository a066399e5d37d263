import { useState } from 'react';
import { CompoundEntityRef } from '@backstage/catalog-model';
import { useApi } from '@backstage/core-plugin-api';
import { AlertRecord } from '@model-ops/plugin-model-ops-common';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import TextField from '@material-ui/core/TextField';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import { modelOpsApiRef } from '../../api';
import { errorMessage } from './format';
import { SilenceDialog } from './SilenceDialog';

type Action = 'acknowledge' | 'resolve' | 'silence';

const TITLES: Record<Exclude<Action, 'silence'>, string> = {
  acknowledge: 'Acknowledge alert',
  resolve: 'Resolve alert',
};

const EXPLAIN: Record<Exclude<Action, 'silence'>, string> = {
  acknowledge:
    'The alert keeps firing until its metric recovers; acknowledging tells its channels (and PagerDuty) that someone is on it.',
  resolve:
    'Resolving ends the alert now and tells its channels. If the breach goes on, the next evaluation opens a new alert.',
};

/**
 * Acknowledge and Resolve for one open alert, each asking for an optional comment, and Silence,
 * which mutes the alerts of its type and slot for a while.
 */
export function AlertActions(props: {
  entity: CompoundEntityRef;
  alert: AlertRecord;
  /** Why the actions are off, e.g. the caller lacks model-ops.alert.update. */
  disabledReason?: string;
  /** Called after an action succeeded, to reload what it changed. */
  onDone: () => void;
}) {
  const api = useApi(modelOpsApiRef);
  const { entity, alert, disabledReason, onDone } = props;
  const [action, setAction] = useState<Action>();
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  if (alert.state === 'resolved') return null;

  const close = () => {
    setAction(undefined);
    setComment('');
    setError(undefined);
  };
  const submit = async () => {
    if (!action || action === 'silence') return;
    setBusy(true);
    setError(undefined);
    try {
      const text = comment.trim() || undefined;
      if (action === 'acknowledge') {
        await api.acknowledgeAlert(entity, alert.id, text);
      } else {
        await api.resolveAlert(entity, alert.id, text);
      }
      close();
      onDone();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const button = (which: Action, label: string) => (
    <Tooltip title={disabledReason ?? ''}>
      <span>
        <Button
          size="small"
          variant="outlined"
          disabled={!!disabledReason}
          onClick={() => setAction(which)}
          aria-label={`${label} ${alert.alertType}`}
          style={{ marginRight: 4 }}
        >
          {label}
        </Button>
      </span>
    </Tooltip>
  );

  return (
    <>
      {!alert.acknowledgedBy && button('acknowledge', 'Acknowledge')}
      {button('resolve', 'Resolve')}
      {button('silence', 'Silence')}
      <SilenceDialog
        entity={entity}
        open={action === 'silence'}
        kind="silence"
        matchers={{
          alertType: [alert.alertType],
          ...(alert.slot ? { slot: [alert.slot] } : {}),
        }}
        context={`${alert.alertType}: ${alert.summary}`}
        onClose={close}
        onCreated={() => onDone()}
      />
      <Dialog
        open={action === 'acknowledge' || action === 'resolve'}
        onClose={close}
        fullWidth
        maxWidth="sm"
      >
        <DialogTitle>
          {(action === 'acknowledge' || action === 'resolve') && TITLES[action]}
        </DialogTitle>
        <DialogContent>
          <DialogContentText>
            {alert.alertType}: {alert.summary}
          </DialogContentText>
          <DialogContentText variant="body2">
            {(action === 'acknowledge' || action === 'resolve') &&
              EXPLAIN[action]}
          </DialogContentText>
          <TextField
            id={`alert-action-comment-${alert.id}`}
            label="Comment (optional)"
            value={comment}
            onChange={e => setComment(e.target.value)}
            fullWidth
            multiline
            minRows={2}
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
          <Button onClick={close} disabled={busy}>
            Cancel
          </Button>
          <Button
            color="primary"
            variant="contained"
            onClick={submit}
            disabled={busy}
          >
            {action === 'acknowledge' ? 'Acknowledge' : 'Resolve'}
          </Button>
        </DialogActions>
      </Dialog>
    </>
  );
}
