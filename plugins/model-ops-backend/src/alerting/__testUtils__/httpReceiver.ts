import {
  AlertChannel,
  AlertDeliveryResult,
  AlertNotification,
} from '@model-ops/plugin-model-ops-node';
import http from 'node:http';
import { AddressInfo } from 'node:net';

/** A request the receiver got. */
export interface Received {
  at: number;
  body: any;
}

/**
 * A real HTTP receiver on 127.0.0.1 that records what it is sent and answers what the test
 * tells it (`status`), for the outbox tests.
 */
export class HttpReceiver {
  readonly received: Received[] = [];
  /** The status the receiver answers; a function of the request's number is allowed. */
  status: number | ((n: number) => number) = 200;
  private server?: http.Server;
  private count = 0;

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', c => chunks.push(c));
      req.on('end', () => {
        const n = this.count++;
        const status =
          typeof this.status === 'function' ? this.status(n) : this.status;
        if (status < 300) {
          this.received.push({
            at: Date.now(),
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
          });
        }
        res.writeHead(status, { 'content-type': 'text/plain' });
        res.end(status < 300 ? 'ok' : 'unavailable');
      });
    });
    this.server.keepAliveTimeout = 1000;
    await new Promise<void>(resolve =>
      this.server!.listen(0, '127.0.0.1', resolve),
    );
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/hook`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise(resolve => this.server!.close(resolve));
  }
}

/**
 * A minimal channel that posts the notification as JSON to a URL: what the outbox needs of a
 * channel (the built-in channels have their own tests against their receivers).
 */
export function jsonPostChannel(id: string, url: string): AlertChannel {
  return {
    id,
    type: 'test-json-post',
    async send(notification: AlertNotification): Promise<AlertDeliveryResult> {
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(notification),
          signal: AbortSignal.timeout(5000),
        });
        await response.arrayBuffer();
        return {
          ok: response.ok,
          status: response.status,
          retryable: response.status >= 500 || response.status === 429,
          detail: `HTTP ${response.status}`,
        };
      } catch (error) {
        return { ok: false, retryable: true, detail: String(error) };
      }
    },
  };
}
