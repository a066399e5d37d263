/**
 * A moment as short as a table cell needs it, in the reader's locale: the time alone for today,
 * the day and the minute within the year, the date alone before. The full moment belongs in a
 * tooltip (see {@link formatFullTime}). A value that is not a date comes back as it was.
 *
 * @internal
 */
export function formatCompactTime(iso: string, now: Date = new Date()): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  let options: Intl.DateTimeFormatOptions;
  if (date.toDateString() === now.toDateString()) {
    options = { hour: '2-digit', minute: '2-digit', second: '2-digit' };
  } else if (date.getFullYear() === now.getFullYear()) {
    options = {
      month: 'short',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
    };
  } else {
    options = { year: 'numeric', month: 'short', day: 'numeric' };
  }
  return date.toLocaleString(undefined, options);
}

/**
 * A moment in full, in the reader's locale, for the tooltip of a compact one.
 *
 * @internal
 */
export function formatFullTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}
