import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
  StructuredMetadataTable,
} from '@backstage/core-components';
import { useModel } from '../../hooks/useModel';
import { ModelStatusChip } from '../ModelStatusChip';

/** A small card for a model's overview tab: status, production version, problems. */
export function StatusCard() {
  const { value, loading, error } = useModel();
  return (
    <InfoCard title="Model Ops">
      {loading && !value && <Progress />}
      {error && <ResponseErrorPanel error={error} />}
      {value && (
        <StructuredMetadataTable
          metadata={{
            Status: <ModelStatusChip status={value.status} />,
            Production: value.productionVersion ?? 'not deployed',
            'Model id': value.spec?.modelId ?? '—',
            Problems:
              value.problems.length === 0
                ? 'none'
                : value.problems.map(p => p.annotation).join(', '),
          }}
        />
      )}
    </InfoCard>
  );
}
