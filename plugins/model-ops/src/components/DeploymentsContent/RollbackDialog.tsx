import { useState } from 'react';
import { getCompoundEntityRef } from '@backstage/catalog-model';
import { useApi } from '@backstage/core-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { DeploymentRun } from '@model-ops/plugin-model-ops-common';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import Alert from '@material-ui/lab/Alert';
import { modelOpsApiRef } from '../../api';

/** Confirm a rollback to one of the earlier versions that reached production. */
export function RollbackDialog(props: {
  open: boolean;
  currentVersion?: string;
  versions: string[];
  onClose: () => void;
  onStarted: (run: DeploymentRun) => void;
}) {
  const { entity } = useEntity();
  const api = useApi(modelOpsApiRef);
  const [toVersion, setToVersion] = useState(props.versions[0] ?? '');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const target = props.versions.includes(toVersion)
    ? toVersion
    : props.versions[0] ?? '';

  const confirm = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const run = await api.rollback(getCompoundEntityRef(entity), target);
      props.onStarted(run);
      props.onClose();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog open={props.open} onClose={props.onClose}>
      <DialogTitle>Roll back production?</DialogTitle>
      <DialogContent>
        <DialogContentText>
          Production serves {props.currentVersion ?? 'nothing'}. A rollback run
          replaces it with the version you choose, verifies it, and is recorded
          in the run history.
        </DialogContentText>
        <TextField
          select
          fullWidth
          label="Roll back to"
          value={target}
          onChange={e => setToVersion(e.target.value)}
        >
          {props.versions.map(v => (
            <MenuItem key={v} value={v}>
              {v}
            </MenuItem>
          ))}
        </TextField>
        {error && <Alert severity="error">{error}</Alert>}
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onClose}>Cancel</Button>
        <Button
          color="secondary"
          variant="contained"
          disabled={busy || !target}
          onClick={confirm}
        >
          Roll back to {target}
        </Button>
      </DialogActions>
    </Dialog>
  );
}
