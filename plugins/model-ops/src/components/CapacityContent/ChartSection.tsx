import { ReactNode } from 'react';
import Box from '@material-ui/core/Box';
import Typography from '@material-ui/core/Typography';
import { CsvButton } from './CsvButton';
import { CsvTable } from './csv';

export const CHART_HEIGHT = 240;

/**
 * A titled part of a card (a chart or a table) with the button that exports what it shows. The
 * title is a heading, and the section is a landmark named by it.
 */
export function ChartSection(props: {
  id: string;
  title: string;
  caption?: ReactNode;
  /** One export per series shown in the section. */
  csv?: Array<{ label: string; fileName: string; table: () => CsvTable }>;
  children: ReactNode;
}) {
  const titleId = `model-ops-capacity-${props.id}-title`;
  return (
    <Box
      component="section"
      aria-labelledby={titleId}
      data-testid={`capacity-${props.id}`}
      mb={2}
    >
      <Box display="flex" alignItems="center">
        <Box flexGrow={1}>
          <Typography id={titleId} variant="subtitle2" component="h3">
            {props.title}
          </Typography>
        </Box>
        {props.csv?.map(csv => (
          <CsvButton key={csv.fileName} {...csv} />
        ))}
      </Box>
      {props.caption && (
        <Typography variant="caption" color="textSecondary" component="p">
          {props.caption}
        </Typography>
      )}
      <Box mt={1}>{props.children}</Box>
    </Box>
  );
}

/** The place of a chart that has nothing to draw. */
export function NoChartData(props: { children: ReactNode }) {
  return (
    <Box
      height={CHART_HEIGHT}
      display="flex"
      alignItems="center"
      justifyContent="center"
      textAlign="center"
    >
      <Typography variant="body2" color="textSecondary">
        {props.children}
      </Typography>
    </Box>
  );
}
