import { useState } from 'react';
import { CompoundEntityRef } from '@backstage/catalog-model';
import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { Silence, SilenceMatchers } from '@model-ops/plugin-model-ops-common';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Chip from '@material-ui/core/Chip';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import { modelOpsApiRef } from '../../api';
import { CompactTime, noWrap } from '../CompactText';
import { GuardedButton } from '../GuardedButton';
import { errorMessage } from './format';
import { SilenceDialog, SilenceKind } from './SilenceDialog';

const STATE_TEXT: Record<Silence['state'], string> = {
  active: 'Active',
  pending: 'Pending',
  expired: 'Expired',
};

const STATE_ORDER: Record<Silence['state'], number> = {
  active: 0,
  pending: 1,
  expired: 2,
};

/** A silence's state as a chip: filled while it mutes, outlined before and after. */
function StateChip(props: { state: Silence['state'] }) {
  return (
    <Chip
      size="small"
      label={STATE_TEXT[props.state]}
      color={props.state === 'active' ? 'primary' : 'default'}
      variant={props.state === 'active' ? 'default' : 'outlined'}
    />
  );
}

/** One chip per matched value, e.g. `alertType: high_error_rate`; a window mutes everything. */
function MatcherChips(props: { silence: Silence }) {
  const { silence } = props;
  const entries = (
    Object.entries(silence.matchers ?? {}) as Array<
      [keyof SilenceMatchers, string[] | undefined]
    >
  ).flatMap(([key, values]) => (values ?? []).map(v => `${key}: ${v}`));
  if (entries.length === 0) {
    return (
      <Chip
        size="small"
        variant="outlined"
        label={silence.kind === 'maintenance' ? 'whole model' : 'any alert'}
      />
    );
  }
  return (
    <Box display="flex" flexWrap="wrap" style={{ gap: 4 }}>
      {entries.map(entry => (
        <Chip key={entry} size="small" variant="outlined" label={entry} />
      ))}
    </Box>
  );
}

/** Active and pending first, each group by start; what the backend sent otherwise kept. */
export function orderedSilences(silences: Silence[]): Silence[] {
  return [...silences].sort(
    (a, b) =>
      STATE_ORDER[a.state] - STATE_ORDER[b.state] ||
      Date.parse(a.startsAt) - Date.parse(b.startsAt),
  );
}

/**
 * The model's silences and maintenance windows, from the API and from configuration, with their
 * state, matchers, reason, author and time; a silence made through the API can be ended early.
 * "New silence" and "Maintenance window" make new ones.
 */
export function SilencesPanel(props: {
  entity: CompoundEntityRef;
  silences?: Silence[];
  error?: Error;
  /** Why the caller may not make or end silences, when they may not. */
  disabledReason?: string;
  onChanged: () => void;
}) {
  const api = useApi(modelOpsApiRef);
  const { entity, silences, error, disabledReason, onChanged } = props;
  const [dialogOpen, setDialogOpen] = useState(false);
  // Kept when the dialog closes, so it does not change while it fades out.
  const [dialogKind, setDialogKind] = useState<SilenceKind>('silence');
  const openDialog = (kind: SilenceKind) => {
    setDialogKind(kind);
    setDialogOpen(true);
  };
  const [expiring, setExpiring] = useState<string>();
  const [expireError, setExpireError] = useState<string>();

  const expire = async (silence: Silence) => {
    setExpiring(silence.id);
    setExpireError(undefined);
    try {
      await api.expireSilence(entity, silence.id);
      onChanged();
    } catch (e) {
      setExpireError(`Could not expire the silence: ${errorMessage(e)}`);
    } finally {
      setExpiring(undefined);
    }
  };

  const denied =
    disabledReason ??
    'You may not change the alerts of this model (model-ops.alert.update)';

  let body;
  if (!silences) {
    body = error ? <ResponseErrorPanel error={error} /> : <Progress />;
  } else if (silences.length === 0) {
    body = (
      <Typography variant="body2" color="textSecondary">
        No silence or maintenance window is on or planned, and none ended in the
        last 7 days.
      </Typography>
    );
  } else {
    body = (
      <Table size="small">
        <TableHead>
          <TableRow>
            <TableCell>State</TableCell>
            <TableCell>Kind</TableCell>
            <TableCell>Matchers</TableCell>
            <TableCell>Reason</TableCell>
            <TableCell>Author</TableCell>
            <TableCell>From</TableCell>
            <TableCell>Until</TableCell>
            <TableCell>Source</TableCell>
            <TableCell />
          </TableRow>
        </TableHead>
        <TableBody>
          {orderedSilences(silences).map(silence => {
            const endable =
              silence.source === 'api' && silence.state !== 'expired';
            return (
              <TableRow key={silence.id} data-testid={`silence-${silence.id}`}>
                <TableCell style={noWrap}>
                  <StateChip state={silence.state} />
                </TableCell>
                <TableCell style={noWrap}>
                  {silence.kind === 'maintenance'
                    ? 'Maintenance window'
                    : 'Silence'}
                </TableCell>
                <TableCell>
                  <MatcherChips silence={silence} />
                </TableCell>
                <TableCell>{silence.reason}</TableCell>
                <TableCell style={noWrap}>
                  {silence.createdBy ??
                    (silence.source === 'config' ? 'configuration' : '—')}
                  {silence.expiredBy && (
                    <Typography
                      variant="caption"
                      color="textSecondary"
                      component="div"
                    >
                      expired by {silence.expiredBy}
                    </Typography>
                  )}
                </TableCell>
                <TableCell style={noWrap}>
                  <CompactTime iso={silence.startsAt} />
                </TableCell>
                <TableCell style={noWrap}>
                  <CompactTime iso={silence.expiredAt ?? silence.endsAt} />
                </TableCell>
                <TableCell style={noWrap}>{silence.source}</TableCell>
                <TableCell style={noWrap}>
                  {endable && (
                    <Tooltip title={disabledReason ?? ''}>
                      <span>
                        <Button
                          size="small"
                          variant="outlined"
                          disabled={!!disabledReason || expiring === silence.id}
                          onClick={() => expire(silence)}
                          aria-label={`Expire ${
                            silence.kind === 'maintenance'
                              ? 'maintenance window'
                              : 'silence'
                          }: ${silence.reason}`}
                        >
                          Expire
                        </Button>
                      </span>
                    </Tooltip>
                  )}
                </TableCell>
              </TableRow>
            );
          })}
        </TableBody>
      </Table>
    );
  }

  return (
    <InfoCard
      title="Silences and maintenance windows"
      subheader="Muted alerts are recorded and shown, not notified"
      action={
        <Box pt={1}>
          <GuardedButton
            allowed={!disabledReason}
            denied={denied}
            onClick={() => openDialog('silence')}
          >
            New silence
          </GuardedButton>
          <GuardedButton
            allowed={!disabledReason}
            denied={denied}
            onClick={() => openDialog('maintenance')}
          >
            Maintenance window
          </GuardedButton>
        </Box>
      }
    >
      <Box component="section" aria-label="Silences">
        {expireError && (
          <Typography color="error" variant="body2" role="alert">
            {expireError}
          </Typography>
        )}
        {silences && error && (
          <Typography color="error" variant="body2">
            Could not refresh the silences: {error.message}
          </Typography>
        )}
        {body}
      </Box>
      <SilenceDialog
        entity={entity}
        open={dialogOpen}
        kind={dialogKind}
        onClose={() => setDialogOpen(false)}
        onCreated={() => onChanged()}
      />
    </InfoCard>
  );
}
