import IconButton from '@material-ui/core/IconButton';
import Tooltip from '@material-ui/core/Tooltip';
import DownloadIcon from '@material-ui/icons/GetApp';
import { CsvTable, downloadCsv, toCsv } from './csv';

/**
 * Downloads one series as shown, as a CSV file. The table is built on click, not on every
 * render: a 30-day report has 720 hours per series.
 */
export function CsvButton(props: {
  /** What the series is, for the button's label: "requests per hour". */
  label: string;
  fileName: string;
  table: () => CsvTable;
  disabled?: boolean;
}) {
  const title = `Download ${props.label} as CSV`;
  return (
    <Tooltip title={title}>
      <span>
        <IconButton
          size="small"
          aria-label={title}
          disabled={props.disabled}
          onClick={() => downloadCsv(props.fileName, toCsv(props.table()))}
        >
          <DownloadIcon fontSize="small" />
        </IconButton>
      </span>
    </Tooltip>
  );
}
