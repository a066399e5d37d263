import {
  ResponseErrorPanel,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { Link } from '@backstage/core-components';
import { useApi, useRouteRef } from '@backstage/core-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import { EntityRefLink, entityRouteRef } from '@backstage/plugin-catalog-react';
import {
  ListModels,
  ListModelsResponse,
  ModelStatus,
  ModelSummary,
} from '@model-ops/plugin-model-ops-common';
import Box from '@material-ui/core/Box';
import Chip from '@material-ui/core/Chip';
import Tooltip from '@material-ui/core/Tooltip';
import Typography from '@material-ui/core/Typography';
import TextField from '@material-ui/core/TextField';
import { ReactNode, useCallback, useRef, useState } from 'react';
import { modelOpsApiRef } from '../../api';
import { TruncatedText, noWrap } from '../CompactText';
import { formatMoney } from '../CapacityContent/format';
import { ModelStatusChip } from '../ModelStatusChip';

/** The page size, as the server's default. */
export const MODELS_PAGE_SIZE = 50;

type SortField = NonNullable<NonNullable<ListModels['query']>['sort']>;

const STATUSES: Array<{ value: ModelStatus; label: string }> = [
  { value: 'healthy', label: 'Healthy' },
  { value: 'warning', label: 'Warning' },
  { value: 'critical', label: 'Critical' },
  { value: 'unknown', label: 'Unknown' },
];

/** The columns the server sorts by, by the column's field. */
const SORT_FIELDS: Record<string, SortField> = {
  name: 'name',
  owner: 'owner',
  status: 'status',
  productionVersion: 'productionVersion',
  openAlerts: 'openAlerts',
  'capacity.projectedMonthlyCost.amount': 'projectedMonthlyCost',
};

type CapacitySummary = NonNullable<ModelSummary['capacity']>;

/** The model's Capacity tab (the entity page's `capacity` route). */
function CapacityLink(props: { entityRef: string; children: ReactNode }) {
  const entityRoute = useRouteRef(entityRouteRef);
  const { kind, namespace, name } = parseEntityRef(props.entityRef);
  return (
    <Link to={`${entityRoute({ kind, namespace, name })}/capacity`}>
      {props.children}
    </Link>
  );
}

function summaryNote(capacity: CapacitySummary): string {
  const basis =
    capacity.projectedMonthlyCost.basis === 'projection'
      ? 'the next 30 days at the fitted growth'
      : 'the current cost per day times 30 (too little history to project)';
  const seeded = capacity.seeded
    ? '; part of the history is seeded demo data'
    : '';
  return `From the ${capacity.period} capacity report of ${new Date(
    capacity.computedAt,
  ).toLocaleString()}: ${basis}${seeded}`;
}

function ProjectedCost(props: { row: ModelSummary }) {
  const capacity = props.row.capacity;
  if (!capacity) return <>—</>;
  const { amount, currency, basis } = capacity.projectedMonthlyCost;
  return (
    <Tooltip title={summaryNote(capacity)}>
      <span>
        {basis === 'current' ? '≈ ' : ''}
        {formatMoney(amount, currency)}
      </span>
    </Tooltip>
  );
}

const PRIORITY_COLORS: Record<string, 'secondary' | 'primary' | 'default'> = {
  high: 'secondary',
  medium: 'primary',
  low: 'default',
};

function TopRecommendation(props: { row: ModelSummary }) {
  const capacity = props.row.capacity;
  if (!capacity) return <>—</>;
  const top = capacity.topRecommendation;
  if (!top) return <>none</>;
  const more =
    capacity.recommendations > 1 ? ` (+${capacity.recommendations - 1})` : '';
  return (
    <Box display="flex" alignItems="center" style={{ gap: 8 }}>
      <Chip
        size="small"
        color={PRIORITY_COLORS[top.priority] ?? 'default'}
        label={top.priority}
      />
      <CapacityLink entityRef={props.row.entityRef}>
        <TruncatedText text={`${top.title}${more}`} maxWidth={220} />
      </CapacityLink>
    </Box>
  );
}

const columns: TableColumn<ModelSummary>[] = [
  {
    title: 'Model',
    field: 'name',
    highlight: true,
    render: row => (
      <>
        <EntityRefLink
          entityRef={row.entityRef}
          title={row.title ?? row.name}
        />
        {row.spec?.modelId && row.spec.modelId !== row.name && (
          <Typography variant="caption" display="block" color="textSecondary">
            {row.spec.modelId}
          </Typography>
        )}
      </>
    ),
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
    title: 'Open alerts',
    field: 'openAlerts',
    type: 'numeric',
    cellStyle: noWrap,
    render: row => row.openAlerts ?? '—',
  },
  {
    title: 'Projected cost / month',
    field: 'capacity.projectedMonthlyCost.amount',
    type: 'numeric',
    cellStyle: noWrap,
    render: row => <ProjectedCost row={row} />,
  },
  {
    title: 'Top recommendation',
    field: 'capacity.topRecommendation.title',
    sorting: false,
    render: row => <TopRecommendation row={row} />,
  },
  {
    title: 'Runtime',
    field: 'spec.runtime',
    sorting: false,
    cellStyle: noWrap,
    render: row =>
      row.spec ? (
        <>
          {row.spec.runtime}
          <Typography variant="caption" display="block" color="textSecondary">
            {row.spec.strategy}
          </Typography>
        </>
      ) : (
        '—'
      ),
  },
  {
    title: 'Problems',
    field: 'problems',
    sorting: false,
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

/** The remote table's query, as much of it as the list reads. */
interface TableQuery {
  page: number;
  pageSize: number;
  search: string;
  orderBy?: { field?: unknown };
  orderDirection?: string;
}

/**
 * The models of the catalog with their status, a page at a time: the server filters (text,
 * owner, status), sorts and pages, so the page stays quick however many models there are.
 */
export function ModelsTable() {
  const api = useApi(modelOpsApiRef);
  const tableRef = useRef<any>();
  // Read by the table's data callback, which the table keeps from its first render.
  const filters = useRef<{ owner?: string; status?: ModelStatus }>({});
  const [owner, setOwner] = useState('');
  const [status, setStatus] = useState('');
  const [last, setLast] = useState<ListModelsResponse>();
  const [error, setError] = useState<Error>();

  const load = useCallback(
    async (query: TableQuery) => {
      const field = query.orderBy?.field;
      const sort = typeof field === 'string' ? SORT_FIELDS[field] : undefined;
      try {
        const response = await api.listModels({
          q: query.search.trim() || undefined,
          owner: filters.current.owner,
          status: filters.current.status,
          sort,
          order: sort && query.orderDirection === 'desc' ? 'desc' : undefined,
          offset: query.page * query.pageSize,
          limit: query.pageSize,
        });
        setLast(response);
        setError(undefined);
        return {
          data: response.items,
          page: query.page,
          totalCount: response.totalCount ?? response.items.length,
        };
      } catch (e) {
        setError(e as Error);
        return { data: [], page: 0, totalCount: 0 };
      }
    },
    [api],
  );

  // A filter outside the table: back to its first page with the same search and order.
  const reload = (firstPage: boolean) => {
    const table = tableRef.current;
    if (!table) return;
    table.onQueryChange(
      firstPage ? { ...table.state.query, page: 0 } : table.state.query,
    );
  };
  const onOwner = (value: string) => {
    setOwner(value);
    filters.current.owner = value || undefined;
    reload(true);
  };
  const onStatus = (value: string) => {
    setStatus(value);
    filters.current.status = (value || undefined) as ModelStatus | undefined;
    reload(true);
  };

  const counts = last?.statusCounts ?? {};
  const filterRow = (
    <Box display="flex" flexWrap="wrap" mb={1} style={{ gap: 16 }}>
      <TextField
        select
        size="small"
        variant="outlined"
        label="Owner"
        value={owner}
        onChange={e => onOwner(e.target.value)}
        SelectProps={{ native: true }}
        InputLabelProps={{ shrink: true }}
        inputProps={{ 'aria-label': 'Owner' }}
        style={{ minWidth: 240 }}
      >
        <option value="">All owners</option>
        {(last?.owners ?? []).map(o => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </TextField>
      <TextField
        select
        size="small"
        variant="outlined"
        label="Status"
        value={status}
        onChange={e => onStatus(e.target.value)}
        SelectProps={{ native: true }}
        InputLabelProps={{ shrink: true }}
        inputProps={{ 'aria-label': 'Status' }}
        style={{ minWidth: 180 }}
      >
        <option value="">All statuses</option>
        {STATUSES.map(s => (
          <option key={s.value} value={s.value}>
            {counts[s.value] === undefined
              ? s.label
              : `${s.label} (${counts[s.value]})`}
          </option>
        ))}
      </TextField>
    </Box>
  );
  const filtered = !!(
    owner ||
    status ||
    tableRef.current?.state?.query?.search
  );

  return (
    <>
      {error && <ResponseErrorPanel error={error} />}
      {filterRow}
      <Table<ModelSummary>
        tableRef={tableRef}
        title={`Models (${last?.totalCount ?? last?.items.length ?? 0})`}
        columns={columns}
        data={load}
        options={{
          paging: true,
          pageSize: MODELS_PAGE_SIZE,
          pageSizeOptions: [20, MODELS_PAGE_SIZE, 100],
          emptyRowsWhenPaging: false,
          search: true,
          debounceInterval: 300,
          sorting: true,
          padding: 'dense',
        }}
        actions={[
          {
            icon: () => <span aria-label="Refresh">↻</span>,
            tooltip: 'Refresh',
            isFreeAction: true,
            onClick: () => reload(false),
          },
        ]}
        localization={{
          body: {
            // The remote table shows this when a page is empty.
            emptyDataSourceMessage: filtered
              ? 'No model matches the filters.'
              : 'No catalog entity carries the model-ops/model-id annotation yet.',
          },
        }}
      />
    </>
  );
}
