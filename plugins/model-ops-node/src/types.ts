/**
 * How serious an alert is.
 *
 * @public
 */
export type AlertSeverity = 'warning' | 'critical';
