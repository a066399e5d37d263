import { useCallback } from 'react';
import { CompoundEntityRef } from '@backstage/catalog-model';
import { Progress, ResponseErrorPanel } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { AlertDelivery } from '@model-ops/plugin-model-ops-common';
import Box from '@material-ui/core/Box';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import { modelOpsApiRef } from '../../api';
import { usePolling } from '../../hooks/usePolling';
import { formatRelative, formatTimestamp } from './format';

const STATUS_TEXT: Record<AlertDelivery['status'], string> = {
  pending: 'Waiting',
  sending: 'Sending',
  sent: 'Sent',
  failed: 'Failed',
};

function statusLine(delivery: AlertDelivery): string {
  const tries = `${delivery.attempts} attempt${
    delivery.attempts === 1 ? '' : 's'
  }`;
  if (delivery.status === 'sent' && delivery.sentAt) {
    return `Sent ${formatRelative(delivery.sentAt)} (${tries})`;
  }
  if (delivery.status === 'failed') {
    return `Failed after ${tries}: ${delivery.lastError ?? 'no detail'}`;
  }
  if (delivery.status === 'pending' && delivery.nextAttemptAt) {
    const retry = delivery.attempts > 0 ? `retry` : 'send';
    return `Waiting to ${retry} ${formatRelative(delivery.nextAttemptAt)}${
      delivery.lastError ? ` (last: ${delivery.lastError})` : ''
    }`;
  }
  return `${STATUS_TEXT[delivery.status]} (${tries})`;
}

/** Where an alert's notifications went: each channel's message and every attempt to send it. */
export function AlertDeliveries(props: {
  entity: CompoundEntityRef;
  alertId: string;
}) {
  const api = useApi(modelOpsApiRef);
  const { entity, alertId } = props;
  const load = useCallback(
    () => api.listAlertDeliveries(entity, alertId),
    [api, entity, alertId],
  );
  const { value, error } = usePolling(load, {
    key: `${alertId}`,
    intervalMs: 15_000,
  });
  if (!value) {
    return error ? <ResponseErrorPanel error={error} /> : <Progress />;
  }
  if (value.items.length === 0) {
    return (
      <Box p={2}>
        <Typography variant="body2" color="textSecondary">
          No notification was written for this alert: its route names no
          configured channel.
        </Typography>
      </Box>
    );
  }
  return (
    <Box p={2} aria-label="Deliveries">
      <Typography variant="subtitle2" gutterBottom>
        Deliveries
      </Typography>
      <Table size="small">
        <TableHead>
          <TableRow>
            <TableCell>Channel</TableCell>
            <TableCell>Message</TableCell>
            <TableCell>Written</TableCell>
            <TableCell>Outcome</TableCell>
            <TableCell>Attempts</TableCell>
          </TableRow>
        </TableHead>
        <TableBody>
          {value.items.map(delivery => (
            <TableRow key={delivery.id}>
              <TableCell>{delivery.channelId}</TableCell>
              <TableCell>{delivery.kind}</TableCell>
              <TableCell>
                <time
                  dateTime={delivery.createdAt}
                  title={formatTimestamp(delivery.createdAt)}
                >
                  {formatRelative(delivery.createdAt)}
                </time>
              </TableCell>
              <TableCell>{statusLine(delivery)}</TableCell>
              <TableCell>
                {delivery.history.length === 0
                  ? '—'
                  : delivery.history.map(attempt => (
                      <Typography
                        key={attempt.attemptedAt}
                        variant="caption"
                        component="div"
                        color={attempt.ok ? 'textPrimary' : 'error'}
                      >
                        {formatTimestamp(attempt.attemptedAt)}:{' '}
                        {attempt.ok ? 'ok' : 'failed'}
                        {attempt.status ? ` ${attempt.status}` : ''}
                        {attempt.detail && !attempt.ok
                          ? ` (${attempt.detail})`
                          : ''}{' '}
                        in {Math.round(attempt.latencyMs)} ms
                      </Typography>
                    ))}
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </Box>
  );
}
