import { Table, TableColumn } from '@backstage/core-components';
import { DeploymentRun } from '@model-ops/plugin-model-ops-common';
import { CompactTime, TruncatedText, noWrap } from '../CompactText';
import { RunStatus } from '../RunStatus';
import { formatDuration } from './RunDetails';

function duration(run: DeploymentRun): string {
  if (!run.startedAt) return '';
  const end = run.finishedAt ? new Date(run.finishedAt) : new Date();
  return formatDuration(end.getTime() - new Date(run.startedAt).getTime());
}

const columns: TableColumn<DeploymentRun>[] = [
  { title: 'Version', field: 'version', highlight: true, cellStyle: noWrap },
  { title: 'Kind', field: 'kind', cellStyle: noWrap },
  {
    title: 'Status',
    field: 'status',
    cellStyle: noWrap,
    render: run => <RunStatus status={run.status} />,
  },
  { title: 'Stage', field: 'stage', emptyValue: '—', cellStyle: noWrap },
  {
    title: 'Started by',
    field: 'createdBy',
    render: run => <TruncatedText text={run.createdBy ?? '—'} maxWidth={220} />,
  },
  {
    title: 'Created',
    field: 'createdAt',
    cellStyle: noWrap,
    render: run => <CompactTime iso={run.createdAt} />,
  },
  {
    title: 'Duration',
    field: 'startedAt',
    cellStyle: noWrap,
    render: duration,
  },
];

/** A model's runs, newest first; a click selects one. */
export function RunsTable(props: {
  runs: DeploymentRun[];
  selectedId?: string;
  onSelect: (run: DeploymentRun) => void;
}) {
  return (
    <Table<DeploymentRun>
      title="Runs"
      options={{
        search: false,
        paging: false,
        padding: 'dense',
        rowStyle: (run: DeploymentRun) =>
          run.id === props.selectedId
            ? { backgroundColor: 'rgba(25, 118, 210, 0.08)' }
            : {},
      }}
      columns={columns}
      data={props.runs}
      onRowClick={(_, run) => run && props.onSelect(run)}
      emptyContent={
        <div style={{ padding: 16 }}>
          No run yet: deploy a version to start one.
        </div>
      }
    />
  );
}
