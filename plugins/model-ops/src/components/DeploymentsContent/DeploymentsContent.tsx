import { useEffect, useState } from 'react';
import {
  EmptyState,
  InfoCard,
  ResponseErrorPanel,
  StructuredMetadataTable,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { usePermission } from '@backstage/plugin-permission-react';
import {
  ACTIVE_RUN_STATUSES,
  DeploymentRun,
  ModelDetails,
  ModelVersion,
  SlotState,
  modelOpsDeploymentCreatePermission,
  modelOpsDeploymentRollbackPermission,
} from '@model-ops/plugin-model-ops-common';
import Box from '@material-ui/core/Box';
import Grid from '@material-ui/core/Grid';
import { modelOpsApiRef } from '../../api';
import { useDeployments } from '../../hooks/useDeployments';
import { CompactTime, TruncatedText, noWrap } from '../CompactText';
import { EnvironmentsPanel } from '../EnvironmentsPanel';
import { GuardedButton } from '../GuardedButton';
import { ModelContentLayout } from '../ModelContentLayout';
import { isBlockingProblem } from '../ModelSpecCard';
import { DeployDialog } from './DeployDialog';
import { RollbackDialog } from './RollbackDialog';
import { RunDetails } from './RunDetails';
import { RunsTable } from './RunsTable';

const slotColumns: TableColumn<SlotState>[] = [
  { title: 'Slot', field: 'slot', cellStyle: noWrap },
  { title: 'Version', field: 'version', emptyValue: '—', cellStyle: noWrap },
  { title: 'State', field: 'state', cellStyle: noWrap },
  {
    title: 'Traffic',
    field: 'trafficWeight',
    cellStyle: noWrap,
    render: row => `${row.trafficWeight} %`,
  },
  {
    title: 'Active',
    field: 'active',
    render: row => (row.active ? 'yes' : ''),
  },
  {
    title: 'Endpoint',
    field: 'endpoint',
    emptyValue: '—',
    render: row =>
      row.endpoint ? <TruncatedText text={row.endpoint} maxWidth={360} /> : '—',
  },
];

const versionColumns: TableColumn<ModelVersion>[] = [
  { title: 'Version', field: 'version', cellStyle: noWrap },
  { title: 'Status', field: 'status', cellStyle: noWrap },
  {
    title: 'Artifact',
    field: 'artifactUri',
    render: row => <TruncatedText text={row.artifactUri} maxWidth={420} />,
  },
  {
    title: 'Registered',
    field: 'registeredAt',
    cellStyle: noWrap,
    render: row => <CompactTime iso={row.registeredAt} />,
  },
  {
    title: 'Last deployed',
    field: 'lastDeployedAt',
    cellStyle: noWrap,
    render: row => <CompactTime iso={row.lastDeployedAt} />,
  },
];

function Production(props: {
  model: ModelDetails;
  activeRun?: DeploymentRun;
  rollbackVersions: string[];
  onDeploy: () => void;
  onRollback: () => void;
  onCancel: (run: DeploymentRun) => void;
}) {
  const { model, activeRun } = props;
  const active = model.slots.find(slot => slot.active);
  const canDeploy = usePermission({
    permission: modelOpsDeploymentCreatePermission,
    resourceRef: model.entityRef,
  });
  const canRollback = usePermission({
    permission: modelOpsDeploymentRollbackPermission,
    resourceRef: model.entityRef,
  });
  const blocked = model.problems.some(isBlockingProblem);
  return (
    <InfoCard title="Production">
      {model.productionVersion ? (
        <StructuredMetadataTable
          metadata={{
            Version: model.productionVersion,
            'Active slot': model.activeSlot ?? '—',
            Endpoint: model.productionEndpoint ?? active?.endpoint ?? '—',
            Strategy: model.strategy ?? model.spec?.strategy ?? '—',
          }}
        />
      ) : (
        <EmptyState
          missing="data"
          title="No version in production yet"
          description={`Model ${
            model.spec?.modelId ?? model.name
          } has not been deployed. Its runs, slots and versions appear here once it is.`}
        />
      )}
      <Box mt={2}>
        <GuardedButton
          color="primary"
          allowed={canDeploy.allowed}
          denied="You may not deploy this model"
          disabled={blocked || Boolean(activeRun)}
          onClick={props.onDeploy}
        >
          Deploy
        </GuardedButton>
        <GuardedButton
          allowed={canRollback.allowed}
          denied="You may not roll this model back"
          disabled={Boolean(activeRun) || props.rollbackVersions.length === 0}
          onClick={props.onRollback}
        >
          Rollback
        </GuardedButton>
        {activeRun && (
          <GuardedButton
            color="secondary"
            allowed={canRollback.allowed}
            denied="You may not cancel runs of this model"
            disabled={activeRun.cancelRequested}
            onClick={() => props.onCancel(activeRun)}
          >
            {activeRun.cancelRequested ? 'Cancelling…' : 'Cancel run'}
          </GuardedButton>
        )}
      </Box>
    </InfoCard>
  );
}

function Deployments(props: { model: ModelDetails; refreshModel: () => void }) {
  const { model, refreshModel } = props;
  const api = useApi(modelOpsApiRef);
  const { runs, error, refresh } = useDeployments({ onSettled: refreshModel });
  const [selectedId, setSelectedId] = useState<string>();
  const [deployOpen, setDeployOpen] = useState(false);
  const [rollbackOpen, setRollbackOpen] = useState(false);
  const [actionError, setActionError] = useState<Error>();
  const activeRun = runs?.find(r => ACTIVE_RUN_STATUSES.includes(r.status));
  const selected = runs?.find(r => r.id === selectedId) ?? runs?.[0];

  useEffect(() => {
    if (activeRun) setSelectedId(activeRun.id);
  }, [activeRun?.id]); // eslint-disable-line react-hooks/exhaustive-deps

  const rollbackVersions = Array.from(
    new Set(
      (runs ?? [])
        .filter(
          r =>
            r.status === 'succeeded' && r.version !== model.productionVersion,
        )
        .map(r => r.version),
    ),
  );

  const started = (run: DeploymentRun) => {
    setSelectedId(run.id);
    refresh();
  };

  return (
    <>
      <Grid item xs={12}>
        <Production
          model={model}
          activeRun={activeRun}
          rollbackVersions={rollbackVersions}
          onDeploy={() => setDeployOpen(true)}
          onRollback={() => setRollbackOpen(true)}
          onCancel={run =>
            api
              .cancelDeployment(run.id)
              .then(refresh)
              .catch(e => setActionError(e))
          }
        />
      </Grid>
      {(error || actionError) && (
        <Grid item xs={12}>
          <ResponseErrorPanel error={(error ?? actionError)!} />
        </Grid>
      )}
      {selected && (
        <Grid item xs={12}>
          <RunDetails run={selected} />
        </Grid>
      )}
      <Grid item xs={12}>
        <RunsTable
          runs={runs ?? []}
          selectedId={selected?.id}
          onSelect={r => setSelectedId(r.id)}
        />
      </Grid>
      <DeployDialog
        open={deployOpen}
        onClose={() => setDeployOpen(false)}
        onStarted={started}
      />
      {rollbackOpen && (
        <RollbackDialog
          open={rollbackOpen}
          currentVersion={model.productionVersion}
          versions={rollbackVersions}
          onClose={() => setRollbackOpen(false)}
          onStarted={started}
        />
      )}
    </>
  );
}

/** The Deployments tab of a model's entity page. */
export function DeploymentsContent() {
  return (
    <ModelContentLayout>
      {(model, retry) => (
        <>
          <Deployments model={model} refreshModel={retry} />
          <EnvironmentsPanel model={model} refreshModel={retry} />
          <Grid item xs={12}>
            <Table<SlotState>
              title="Slots"
              options={{ search: false, paging: false, padding: 'dense' }}
              columns={slotColumns}
              data={model.slots}
              emptyContent={
                <div style={{ padding: 16 }}>
                  No slot has run a version of this model yet.
                </div>
              }
            />
          </Grid>
          <Grid item xs={12}>
            <Table<ModelVersion>
              title="Versions"
              options={{ search: false, paging: false, padding: 'dense' }}
              columns={versionColumns}
              data={model.versions}
              emptyContent={
                <div style={{ padding: 16 }}>
                  No version has been registered yet.
                </div>
              }
            />
          </Grid>
        </>
      )}
    </ModelContentLayout>
  );
}
