import { ReactNode, useState } from 'react';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import TextField from '@material-ui/core/TextField';
import Alert from '@material-ui/lab/Alert';

/**
 * Asks before an action that moves production traffic. The action gets the optional reason
 * typed in; when it fails, its message is shown and the dialog stays open.
 */
export function ConfirmDialog(props: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  /** Offer a free-text reason, passed to `onConfirm`. */
  withReason?: boolean;
  danger?: boolean;
  onConfirm: (reason?: string) => Promise<unknown>;
  onClose: () => void;
}) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const confirm = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await props.onConfirm(reason.trim() || undefined);
      props.onClose();
    } catch (e) {
      setError((e as Error)?.message ?? String(e));
      setBusy(false);
    }
  };

  return (
    <Dialog
      open
      onClose={busy ? undefined : props.onClose}
      aria-labelledby="model-ops-confirm-title"
    >
      <DialogTitle id="model-ops-confirm-title">{props.title}</DialogTitle>
      <DialogContent>
        {props.children}
        {props.withReason && (
          <TextField
            id="model-ops-confirm-reason"
            fullWidth
            margin="normal"
            label="Reason (optional)"
            value={reason}
            onChange={e => setReason(e.target.value)}
          />
        )}
        {error && (
          <Alert severity="error" role="alert">
            {error}
          </Alert>
        )}
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onClose} disabled={busy}>
          Cancel
        </Button>
        <Button
          color={props.danger ? 'secondary' : 'primary'}
          variant="contained"
          disabled={busy}
          onClick={confirm}
        >
          {props.confirmLabel}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
