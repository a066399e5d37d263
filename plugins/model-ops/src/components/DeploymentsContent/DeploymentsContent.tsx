import {
  EmptyState,
  InfoCard,
  StructuredMetadataTable,
  Table,
  TableColumn,
} from '@backstage/core-components';
import {
  ModelDetails,
  ModelVersion,
  SlotState,
} from '@model-ops/plugin-model-ops-common';
import Grid from '@material-ui/core/Grid';
import { ModelContentLayout } from '../ModelContentLayout';

const slotColumns: TableColumn<SlotState>[] = [
  { title: 'Slot', field: 'slot' },
  { title: 'Version', field: 'version', emptyValue: '—' },
  { title: 'State', field: 'state' },
  {
    title: 'Traffic',
    field: 'trafficWeight',
    render: row => `${row.trafficWeight} %`,
  },
  { title: 'Active', field: 'active', render: row => (row.active ? 'yes' : '') },
  { title: 'Endpoint', field: 'endpoint', emptyValue: '—' },
];

const versionColumns: TableColumn<ModelVersion>[] = [
  { title: 'Version', field: 'version' },
  { title: 'Status', field: 'status' },
  { title: 'Artifact', field: 'artifactUri' },
  {
    title: 'Registered',
    field: 'registeredAt',
    render: row => new Date(row.registeredAt).toLocaleString(),
  },
  {
    title: 'Last deployed',
    field: 'lastDeployedAt',
    render: row =>
      row.lastDeployedAt ? new Date(row.lastDeployedAt).toLocaleString() : '—',
  },
];

function Production(props: { model: ModelDetails }) {
  const { model } = props;
  const active = model.slots.find(slot => slot.active);
  return (
    <InfoCard title="Production">
      {model.productionVersion ? (
        <StructuredMetadataTable
          metadata={{
            Version: model.productionVersion,
            'Active slot': model.activeSlot ?? '—',
            Endpoint: active?.endpoint ?? '—',
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
    </InfoCard>
  );
}

/** The Deployments tab of a model's entity page. */
export function DeploymentsContent() {
  return (
    <ModelContentLayout>
      {model => (
        <>
          <Grid item xs={12}>
            <Production model={model} />
          </Grid>
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
                <div style={{ padding: 16 }}>No version has been registered yet.</div>
              }
            />
          </Grid>
        </>
      )}
    </ModelContentLayout>
  );
}
