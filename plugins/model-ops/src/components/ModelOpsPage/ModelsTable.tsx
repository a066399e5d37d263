import {
  ResponseErrorPanel,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import { ModelSummary } from '@model-ops/plugin-model-ops-common';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { modelOpsApiRef } from '../../api';
import { TruncatedText, noWrap } from '../CompactText';
import { ModelStatusChip } from '../ModelStatusChip';

const columns: TableColumn<ModelSummary>[] = [
  {
    title: 'Model',
    field: 'name',
    highlight: true,
    render: row => (
      <EntityRefLink entityRef={row.entityRef} title={row.title ?? row.name} />
    ),
  },
  {
    title: 'Model id',
    field: 'spec.modelId',
    cellStyle: noWrap,
    render: row => row.spec?.modelId ?? '—',
  },
  {
    title: 'Owner',
    field: 'owner',
    cellStyle: noWrap,
    render: row =>
      row.owner ? (
        <EntityRefLink entityRef={row.owner} defaultKind="group" />
      ) : (
        '—'
      ),
  },
  {
    title: 'Status',
    field: 'status',
    cellStyle: noWrap,
    render: row => <ModelStatusChip status={row.status} />,
  },
  {
    title: 'Production',
    field: 'productionVersion',
    cellStyle: noWrap,
    render: row => row.productionVersion ?? 'not deployed',
  },
  {
    title: 'Strategy',
    field: 'spec.strategy',
    cellStyle: noWrap,
    render: row => row.spec?.strategy ?? '—',
  },
  {
    title: 'Runtime',
    field: 'spec.runtime',
    cellStyle: noWrap,
    render: row => row.spec?.runtime ?? '—',
  },
  {
    title: 'Problems',
    field: 'problems',
    render: row =>
      row.problems.length === 0 ? (
        'none'
      ) : (
        <TruncatedText
          text={row.problems.map(p => p.annotation).join(', ')}
          maxWidth={320}
        />
      ),
  },
];

/** Every model in the catalog with its status. */
export function ModelsTable() {
  const api = useApi(modelOpsApiRef);
  const { value, loading, error, retry } = useAsyncRetry(
    () => api.listModels(),
    [api],
  );
  if (error) {
    return <ResponseErrorPanel error={error} />;
  }
  return (
    <Table<ModelSummary>
      title={`Models (${value?.items.length ?? 0})`}
      isLoading={loading}
      columns={columns}
      data={value?.items ?? []}
      options={{ paging: false, padding: 'dense' }}
      actions={[
        {
          icon: () => <span aria-label="Refresh">↻</span>,
          tooltip: 'Refresh',
          isFreeAction: true,
          onClick: () => retry(),
        },
      ]}
      emptyContent={
        <div style={{ padding: 16 }}>
          No catalog entity carries the model-ops/model-id annotation yet.
        </div>
      }
    />
  );
}
