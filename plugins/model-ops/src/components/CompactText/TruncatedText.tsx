import { ReactNode } from 'react';
import Tooltip from '@material-ui/core/Tooltip';
import Typography, { TypographyProps } from '@material-ui/core/Typography';

/**
 * A long value on one line, cut with an ellipsis at `maxWidth`, whole in a tooltip, so a column
 * of long values (endpoints, URIs, errors) does not squeeze its neighbours.
 *
 * @internal
 */
export function TruncatedText(props: {
  /** The whole value, shown in the tooltip. */
  text: string;
  /** What the cell shows, when not the text itself (a link to it, say). */
  children?: ReactNode;
  maxWidth?: number | string;
  color?: TypographyProps['color'];
}) {
  const { text, children, maxWidth = 280, color } = props;
  return (
    <Tooltip title={text}>
      <Typography
        variant="body2"
        component="span"
        color={color}
        noWrap
        style={{ display: 'block', maxWidth }}
      >
        {children ?? text}
      </Typography>
    </Tooltip>
  );
}
