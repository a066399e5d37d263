import { ReactNode } from 'react';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableRow from '@material-ui/core/TableRow';

/**
 * Named figures, one a row. Unlike `StructuredMetadataTable` it keeps the names as written
 * ("R²", "Per 1,000 requests") instead of title-casing them.
 */
export function FactsTable(props: {
  label: string;
  facts: Array<[string, ReactNode]>;
}) {
  return (
    <Table size="small" aria-label={props.label}>
      <TableBody>
        {props.facts.map(([name, value]) => (
          <TableRow key={name}>
            <TableCell component="th" scope="row" style={{ width: '40%' }}>
              {name}
            </TableCell>
            <TableCell>{value}</TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
