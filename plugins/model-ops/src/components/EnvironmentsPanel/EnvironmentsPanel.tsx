import { useState } from 'react';
import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
  StatusRunning,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  DeploymentRun,
  EnvironmentSlot,
  EnvironmentsResponse,
  ModelDetails,
  SwitchRecord,
  modelOpsDeploymentRollbackPermission,
  modelOpsEnvironmentSwitchPermission,
} from '@model-ops/plugin-model-ops-common';
import Box from '@material-ui/core/Box';
import DialogContentText from '@material-ui/core/DialogContentText';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import { modelOpsApiRef } from '../../api';
import { CanaryProgress } from './CanaryProgress';
import { ConfirmDialog } from './ConfirmDialog';
import { GuardedButton } from '../GuardedButton';
import { SlotCard } from './SlotCard';
import { SwitchHistory } from './SwitchHistory';
import { colorName, formatTime } from './statuses';
import { useEnvironments } from './useEnvironments';

type Color = EnvironmentSlot['slot'];
type Action = 'switch' | 'rollback' | 'promote' | 'abort';

const COLORS: Color[] = ['blue', 'green'];

function emptySlot(slot: Color): EnvironmentSlot {
  return { slot, state: 'empty', trafficWeight: 0, active: false };
}

function other(color: Color): Color {
  return color === 'blue' ? 'green' : 'blue';
}

function describe(slot?: EnvironmentSlot): string {
  if (!slot) return '—';
  return slot.version
    ? `${colorName(slot.slot)} (${slot.version})`
    : colorName(slot.slot);
}

function isRun(result: SwitchRecord | DeploymentRun): result is DeploymentRun {
  return 'stages' in result;
}

/** Both colors, always in the order blue, green, and which of them serves and which is idle. */
function colors(env: EnvironmentsResponse) {
  const slots = COLORS.map(
    c => env.slots.find(s => s.slot === c) ?? emptySlot(c),
  );
  const active =
    slots.find(s => s.active) ??
    slots.find(s => s.slot === env.activeSlot && s.version);
  const idle = active
    ? slots.find(s => s.slot === other(active.slot))
    : slots.find(s => s.state === 'running');
  return { slots, active, idle };
}

/** The switch a rollback would undo: the newest one that moved traffic. */
function lastSwitch(env: EnvironmentsResponse): SwitchRecord | undefined {
  return [...env.history]
    .filter(r => r.status === 'succeeded' && r.from)
    .sort(
      (a, b) =>
        new Date(b.startedAt).getTime() - new Date(a.startedAt).getTime(),
    )[0];
}

function isWarm(
  slot: EnvironmentSlot | undefined,
  version: string | undefined,
): boolean {
  if (!slot || slot.state !== 'running' || slot.active) return false;
  if (version && slot.version !== version) return false;
  return !slot.warmUntil || new Date(slot.warmUntil).getTime() > Date.now();
}

function RollbackExplanation(props: {
  env: EnvironmentsResponse;
  slots: EnvironmentSlot[];
}) {
  const last = lastSwitch(props.env);
  const previous = props.slots.find(s => s.slot === last?.from);
  const version = last?.fromVersion ?? previous?.version;
  let outlook: string;
  if (!last) {
    outlook = 'No earlier switch is recorded.';
  } else if (isWarm(previous, version)) {
    outlook = `${colorName(last.from)} still runs ${
      version ?? 'the previous version'
    }${
      previous?.warmUntil
        ? ` (warm until ${formatTime(previous.warmUntil)})`
        : ''
    }, so traffic moves back to it at once.`;
  } else {
    outlook = `${colorName(last.from)} is no longer warm, so ${
      version ?? 'the previous version'
    } will be redeployed through the pipeline (validation, testing, staging, production) before traffic returns; this takes longer and shows up as a new run.`;
  }
  return (
    <>
      <DialogContentText>
        Rolling back a switch returns production traffic to the previous color
        if it is still warm; otherwise the previous version is redeployed
        through the pipeline.
      </DialogContentText>
      <DialogContentText>{outlook}</DialogContentText>
    </>
  );
}

/**
 * The blue and green production environments of a model: what each serves and its share of
 * traffic, switching between them and rolling a switch back, any canary release under way, and
 * the switch history. Renders grid items, for a `Grid container`.
 */
export function EnvironmentsPanel(props: {
  model: ModelDetails;
  refreshModel: () => void;
}) {
  const { model, refreshModel } = props;
  const api = useApi(modelOpsApiRef);
  const ref = {
    kind: model.kind,
    namespace: model.namespace,
    name: model.name,
  };
  const {
    value: env,
    error,
    refresh,
  } = useEnvironments(model, { onSettled: refreshModel });
  const canSwitch = usePermission({
    permission: modelOpsEnvironmentSwitchPermission,
    resourceRef: model.entityRef,
  });
  const canRollback = usePermission({
    permission: modelOpsDeploymentRollbackPermission,
    resourceRef: model.entityRef,
  });
  const [action, setAction] = useState<Action>();
  const [notice, setNotice] = useState<string>();

  if (!env) {
    return (
      <Grid item xs={12}>
        {error ? <ResponseErrorPanel error={error} /> : <Progress />}
      </Grid>
    );
  }

  const { slots, active, idle } = colors(env);
  const inProgress = env.history.find(r => r.status === 'in_progress');
  const canary = env.canary;
  const canaryLive =
    canary?.status === 'progressing' || canary?.status === 'paused';
  let busyReason: string | undefined;
  if (inProgress) busyReason = 'A switch is in progress';
  else if (canaryLive) busyReason = 'A canary release is in progress';

  const idleColor = idle?.slot ?? (active ? other(active.slot) : undefined);
  let switchReason = busyReason;
  if (!switchReason) {
    if (!idleColor) {
      switchReason = 'No color is ready to switch to';
    } else if (!idle || idle.state === 'empty' || !idle.version) {
      switchReason = `${colorName(idleColor)} is empty`;
    } else if (idle.state !== 'running') {
      switchReason = `${colorName(idle.slot)} is not running (${idle.state})`;
    }
  }
  const rollbackReason =
    busyReason ??
    (lastSwitch(env) ? undefined : 'No earlier switch to roll back');

  const done = () => {
    refresh();
    refreshModel();
  };
  const close = () => setAction(undefined);

  return (
    <>
      <Grid item xs={12}>
        <InfoCard
          title="Environments"
          subheader={`Production endpoint: ${env.productionEndpoint ?? '—'}`}
        >
          <Grid container spacing={2}>
            {slots.map(slot => (
              <Grid item xs={12} sm={6} key={slot.slot}>
                <SlotCard slot={slot} />
              </Grid>
            ))}
          </Grid>
          {inProgress && (
            <Box mt={2} role="status">
              <StatusRunning>
                Switching traffic from {colorName(inProgress.from)} to{' '}
                {colorName(inProgress.to)}
                {inProgress.toVersion ? ` (${inProgress.toVersion})` : ''}…
              </StatusRunning>
            </Box>
          )}
          <Box mt={2}>
            <GuardedButton
              color="primary"
              allowed={canSwitch.allowed}
              denied="You may not switch this model's traffic"
              disabledReason={switchReason}
              onClick={() => setAction('switch')}
            >
              {idleColor ? `Switch to ${idleColor}` : 'Switch'}
            </GuardedButton>
            <GuardedButton
              allowed={canSwitch.allowed}
              denied="You may not switch this model's traffic"
              disabledReason={rollbackReason}
              onClick={() => setAction('rollback')}
            >
              Rollback switch
            </GuardedButton>
            {!canSwitch.loading && !canSwitch.allowed && (
              <Typography
                variant="caption"
                color="textSecondary"
                component="div"
              >
                You may not switch this model's traffic.
              </Typography>
            )}
          </Box>
          {notice && (
            <Box mt={2}>
              <Alert severity="info" onClose={() => setNotice(undefined)}>
                {notice}
              </Alert>
            </Box>
          )}
          {error && (
            <Box mt={2}>
              <Alert severity="warning">
                Could not refresh the environments: {error.message}
              </Alert>
            </Box>
          )}
        </InfoCard>
      </Grid>
      {canary && (
        <Grid item xs={12}>
          <CanaryProgress
            canary={canary}
            canPromote={canSwitch.allowed}
            canAbort={canRollback.allowed}
            onPromote={() => setAction('promote')}
            onAbort={() => setAction('abort')}
          />
        </Grid>
      )}
      <Grid item xs={12}>
        <SwitchHistory history={env.history} />
      </Grid>

      {action === 'switch' && idle && (
        <ConfirmDialog
          title={`Switch production to ${colorName(idle.slot)}?`}
          confirmLabel={`Switch to ${idle.slot}`}
          withReason
          onClose={close}
          onConfirm={async reason => {
            await api.switchEnvironment(ref, { to: idle.slot, reason });
            setNotice(undefined);
            done();
          }}
        >
          <DialogContentText>
            All production traffic moves from {describe(active)} to{' '}
            {describe(idle)}.{' '}
            {active
              ? `${colorName(
                  active.slot,
                )} stays warm for a while afterwards, so the switch can be rolled back at once.`
              : ''}
          </DialogContentText>
          {idle.health && idle.health !== 'healthy' && (
            <Alert severity="warning">
              {colorName(idle.slot)} reports its health as {idle.health}.
            </Alert>
          )}
        </ConfirmDialog>
      )}
      {action === 'rollback' && (
        <ConfirmDialog
          title="Roll back the last switch?"
          confirmLabel="Roll back switch"
          withReason
          danger
          onClose={close}
          onConfirm={async reason => {
            const result = await api.rollbackSwitch(ref, reason);
            setNotice(
              isRun(result)
                ? `The previous color was no longer warm: ${result.version} is being redeployed through the pipeline as run ${result.id}.`
                : undefined,
            );
            done();
          }}
        >
          <RollbackExplanation env={env} slots={slots} />
        </ConfirmDialog>
      )}
      {action === 'promote' && canary && (
        <ConfirmDialog
          title={`Promote canary ${canary.version}?`}
          confirmLabel="Promote"
          onClose={close}
          onConfirm={async () => {
            await api.promoteCanary(canary.runId);
            done();
          }}
        >
          <DialogContentText>
            All production traffic moves to {canary.version} on{' '}
            {colorName(canary.slot)} now, skipping the remaining steps and their
            analyses.
          </DialogContentText>
        </ConfirmDialog>
      )}
      {action === 'abort' && canary && (
        <ConfirmDialog
          title={`Abort canary ${canary.version}?`}
          confirmLabel="Abort canary"
          danger
          onClose={close}
          onConfirm={async () => {
            await api.abortCanary(canary.runId);
            done();
          }}
        >
          <DialogContentText>
            All production traffic returns to the stable color and{' '}
            {canary.version} receives no more.
          </DialogContentText>
        </ConfirmDialog>
      )}
    </>
  );
}
