import Tooltip from '@material-ui/core/Tooltip';
import { formatCompactTime, formatFullTime } from './formatCompactTime';

/**
 * A moment in a table cell: short and on one line, the full moment in a tooltip.
 *
 * @internal
 */
export function CompactTime(props: { iso?: string }) {
  const { iso } = props;
  if (!iso) return <>—</>;
  return (
    <Tooltip title={formatFullTime(iso)}>
      <time dateTime={iso} style={{ whiteSpace: 'nowrap' }}>
        {formatCompactTime(iso)}
      </time>
    </Tooltip>
  );
}
