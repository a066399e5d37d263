/**
 * The style of a table cell whose value is short and must stay on one line (a status, a time,
 * a figure), so a narrow table cuts the long free-text columns instead.
 *
 * @internal
 */
export const noWrap = { whiteSpace: 'nowrap' } as const;
