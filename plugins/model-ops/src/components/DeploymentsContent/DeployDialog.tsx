import { useEffect, useState } from 'react';
import {
  getCompoundEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { useApi } from '@backstage/core-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import {
  AvailableVersion,
  DeploymentRun,
} from '@model-ops/plugin-model-ops-common';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import MenuItem from '@material-ui/core/MenuItem';
import TextField from '@material-ui/core/TextField';
import Alert from '@material-ui/lab/Alert';
import { modelOpsApiRef } from '../../api';

/** Start a deployment: pick an offered version or give an artifact URI and its sha256. */
export function DeployDialog(props: {
  open: boolean;
  onClose: () => void;
  onStarted: (run: DeploymentRun) => void;
}) {
  const { entity } = useEntity();
  const api = useApi(modelOpsApiRef);
  const [offered, setOffered] = useState<AvailableVersion[]>([]);
  const [version, setVersion] = useState('');
  const [uri, setUri] = useState('');
  const [sha256, setSha256] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!props.open) return;
    setError(undefined);
    api
      .listArtifacts(getCompoundEntityRef(entity))
      .then(result => setOffered(result.items))
      .catch(e =>
        setError(`Could not load the offered versions: ${e.message}`),
      );
  }, [api, entity, props.open]);

  const choose = (value: string) => {
    const choice = offered.find(o => o.version === value);
    setVersion(value);
    if (choice) {
      setUri(choice.uri);
      setSha256(choice.sha256 ?? '');
    }
  };

  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const run = await api.createDeployment({
        entityRef: stringifyEntityRef(entity),
        version,
        artifact: { uri, sha256 },
      });
      props.onStarted(run);
      props.onClose();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog open={props.open} onClose={props.onClose} fullWidth maxWidth="sm">
      <DialogTitle>Deploy a version</DialogTitle>
      <DialogContent>
        {offered.length > 0 && (
          <TextField
            select
            fullWidth
            margin="normal"
            label="Offered version"
            value={offered.some(o => o.version === version) ? version : ''}
            onChange={e => choose(e.target.value)}
            inputProps={{ 'data-testid': 'offered-version' }}
          >
            {offered.map(o => (
              <MenuItem key={o.version} value={o.version}>
                {o.version}
                {o.summary ? ` — ${o.summary}` : ''}
              </MenuItem>
            ))}
          </TextField>
        )}
        <TextField
          fullWidth
          margin="normal"
          label="Version"
          value={version}
          onChange={e => setVersion(e.target.value)}
        />
        <TextField
          fullWidth
          margin="normal"
          label="Artifact URI"
          helperText="file:// , file:<path in the repository> or http(s):// location of the artifact directory"
          value={uri}
          onChange={e => setUri(e.target.value)}
        />
        <TextField
          fullWidth
          margin="normal"
          label="sha256 of manifest.json"
          value={sha256}
          onChange={e => setSha256(e.target.value)}
        />
        {error && <Alert severity="error">{error}</Alert>}
      </DialogContent>
      <DialogActions>
        <Button onClick={props.onClose}>Cancel</Button>
        <Button
          color="primary"
          variant="contained"
          disabled={busy || !version || !uri || !sha256}
          onClick={submit}
        >
          Deploy
        </Button>
      </DialogActions>
    </Dialog>
  );
}
