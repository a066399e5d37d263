import { AlertNotification } from '@model-ops/plugin-model-ops-node';
import http from 'node:http';
import net from 'node:net';
import { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** A loopback receiver's answer: a status and body, or `hang` (never answer). */
export type Reply =
  | { status: number; body?: string; headers?: Record<string, string> }
  | 'hang';

/** A request a receiver got. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  json(): any;
}

/** An HTTP server on 127.0.0.1 that records requests and answers as told. */
export interface HttpReceiver {
  url: string;
  requests: RecordedRequest[];
  /** Answers the next requests with `replies`, in order, then with the default again. */
  reply(...replies: Reply[]): void;
  /** Resolves once `count` requests arrived, or rejects after `timeoutMs`. */
  waitForRequests(
    count: number,
    timeoutMs?: number,
  ): Promise<RecordedRequest[]>;
  close(): Promise<void>;
}

/** Starts an HTTP receiver answering `defaultReply` unless told otherwise. */
export async function startHttpReceiver(
  defaultReply: Reply = { status: 200, body: 'ok' },
): Promise<HttpReceiver> {
  const requests: RecordedRequest[] = [];
  const queue: Reply[] = [];
  const waiters: Array<() => void> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', chunk => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body,
        json: () => JSON.parse(body),
      });
      waiters.splice(0).forEach(wake => wake());
      const reply = queue.shift() ?? defaultReply;
      if (reply === 'hang') return; // answered never: closed by close()
      res.writeHead(reply.status, {
        'content-type': 'text/plain',
        ...reply.headers,
      });
      res.end(reply.body ?? '');
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    reply: (...replies) => queue.push(...replies),
    waitForRequests(count, timeoutMs = 5_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(
                `${count} requests within ${timeoutMs} ms: got ${requests.length}`,
              ),
            ),
          timeoutMs,
        );
        const check = () => {
          if (requests.length >= count) {
            clearTimeout(timer);
            resolve(requests.slice(0, count));
          } else {
            waiters.push(check);
          }
        };
        check();
      });
    },
    close: () =>
      new Promise<void>(resolve => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A mail the SMTP receiver accepted. */
export interface ReceivedMail {
  from?: string;
  to: string[];
  authUser?: string;
  authMethod?: string;
  secure: boolean;
  /** The message as sent (headers and MIME body), CRLF line ends. */
  raw: string;
}

/** A real SMTP server (smtp-server) on 127.0.0.1. */
export interface SmtpReceiver {
  port: number;
  mails: ReceivedMail[];
  /** The AUTH attempts: method, user and whether the password was right. */
  logins: Array<{ method: string; user: string; ok: boolean }>;
  close(): Promise<void>;
}

/**
 * Starts an SMTP server requiring AUTH (PLAIN and LOGIN unless `authMethods` says otherwise)
 * with `users` (name to password). STARTTLS is offered with smtp-server's built-in self-signed
 * certificate unless `starttls` is false; AUTH is then allowed without TLS too.
 */
export async function startSmtpReceiver(options: {
  users: Record<string, string>;
  authMethods?: string[];
  starttls?: boolean;
}): Promise<SmtpReceiver> {
  const mails: ReceivedMail[] = [];
  const logins: SmtpReceiver['logins'] = [];
  const starttls = options.starttls ?? true;
  const server = new SMTPServer({
    logger: false,
    authMethods: options.authMethods ?? ['PLAIN', 'LOGIN'],
    allowInsecureAuth: !starttls,
    disabledCommands: starttls ? [] : ['STARTTLS'],
    onAuth(auth, _session, callback) {
      const ok =
        auth.username !== undefined &&
        options.users[auth.username] !== undefined &&
        options.users[auth.username] === auth.password;
      logins.push({ method: auth.method, user: auth.username ?? '', ok });
      if (ok) {
        callback(null, { user: auth.username });
        return;
      }
      const error = new Error('Authentication credentials invalid') as Error & {
        responseCode: number;
      };
      error.responseCode = 535;
      callback(error);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const from = session.envelope.mailFrom;
        mails.push({
          from: from ? from.address : undefined,
          to: session.envelope.rcptTo.map(r => r.address),
          authUser: session.user as string | undefined,
          authMethod: logins.filter(l => l.ok).slice(-1)[0]?.method,
          secure: session.secure,
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = (
    server as unknown as { server: net.Server }
  ).server.address() as AddressInfo;
  return {
    port,
    mails,
    logins,
    close: () => new Promise<void>(resolve => server.close(() => resolve())),
  };
}

/** A TCP server that accepts connections and never says a word (no SMTP greeting, no HTTP). */
export async function startSilentServer(): Promise<{
  port: number;
  close(): Promise<void>;
}> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer(socket => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>(resolve => {
        sockets.forEach(s => s.destroy());
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on right now (taken, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>(resolve => server.close(() => resolve()));
  return port;
}

/** A mail taken apart: unfolded headers and the decoded text and HTML parts. */
export interface ParsedMail {
  headers: Record<string, string>;
  text?: string;
  html?: string;
}

function splitHeaders(block: string): Record<string, string> {
  const headers: Record<string, string> = {};
  const unfolded = block.replace(/\r?\n[ \t]+/g, ' ');
  for (const line of unfolded.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) {
      headers[line.slice(0, colon).trim().toLowerCase()] = line
        .slice(colon + 1)
        .trim();
    }
  }
  return headers;
}

function decodeBody(body: string, encoding: string | undefined): string {
  switch ((encoding ?? '7bit').toLowerCase()) {
    case 'quoted-printable':
      return Buffer.from(
        body
          .replace(/=\r?\n/g, '')
          .replace(/=([0-9A-F]{2})/gi, (_, hex) =>
            String.fromCharCode(parseInt(hex, 16)),
          ),
        'latin1',
      ).toString('utf8');
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    default:
      return body;
  }
}

/** Parses what the SMTP receiver got, enough for the tests: one level of multipart. */
export function parseMail(raw: string): ParsedMail {
  const split = raw.indexOf('\r\n\r\n');
  const headers = splitHeaders(raw.slice(0, split));
  const body = raw.slice(split + 4);
  const result: ParsedMail = { headers };
  const boundary = /boundary="?([^";]+)"?/i.exec(
    headers['content-type'] ?? '',
  )?.[1];
  const parts = boundary
    ? body
        .split(`--${boundary}`)
        .slice(1)
        .filter(part => !part.startsWith('--'))
        .map(part => part.replace(/^\r\n/, ''))
    : [raw];
  for (const part of parts) {
    const end = part.indexOf('\r\n\r\n');
    const partHeaders = splitHeaders(part.slice(0, end));
    const content = decodeBody(
      part.slice(end + 4).replace(/\r\n$/, ''),
      partHeaders['content-transfer-encoding'],
    );
    const type = (partHeaders['content-type'] ?? 'text/plain').toLowerCase();
    if (type.startsWith('text/plain')) result.text = content;
    if (type.startsWith('text/html')) result.html = content;
  }
  return result;
}

/** A notification as the outbox hands one over: two firing alerts of one model. */
export function sampleNotification(
  overrides: Partial<AlertNotification> = {},
): AlertNotification {
  return {
    id: 'ntf-0001',
    kind: 'firing',
    modelId: 'fraud-detector',
    entityRef: 'component:default/fraud-detector',
    owner: 'group:default/ml-platform',
    route: 'default',
    url: 'https://portal.example.com/catalog/default/component/fraud-detector/model-ops/alerts',
    runbook: 'https://runbooks.example.com/fraud-detector',
    severity: 'critical',
    title: '[critical] fraud-detector: high_error_rate',
    alerts: [
      {
        id: 'alert-1',
        fingerprint: 'fp-error-rate-blue',
        alertType: 'high_error_rate',
        severity: 'critical',
        state: 'firing',
        metric: 'errorRate',
        summary: 'Error rate 12.5% is above 10%',
        value: 12.5,
        threshold: 10,
        slot: 'blue',
        version: '1.2.0',
        startsAt: new Date('2026-01-02T03:04:05.120Z'),
      },
      {
        id: 'alert-2',
        fingerprint: 'fp-latency-blue',
        alertType: 'high_latency',
        severity: 'warning',
        state: 'firing',
        metric: 'responseTimeP95',
        summary: 'p95 latency 6200 ms is above 5000 ms',
        value: 6200,
        threshold: 5000,
        slot: 'blue',
        version: '1.2.0',
        startsAt: new Date('2026-01-02T03:05:00.000Z'),
      },
    ],
    createdAt: new Date('2026-01-02T03:06:00.000Z'),
    ...overrides,
  };
}

/** RFC 3339 as Go's time.Time encodes it (fraction optional, Z or an offset). */
const RFC3339 =
  '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?(Z|[+-]\\d{2}:\\d{2})$';
const KV = {
  type: 'object',
  additionalProperties: { type: 'string' },
} as const;

/**
 * Alertmanager's webhook payload, version 4, as docs/configuration.md (`<webhook_config>`)
 * describes it and notify/webhook/webhook.go (`Message`, embedding template.go's `Data` and
 * `Alert`) encodes it: every field present, of its type, nothing else.
 */
export const ALERTMANAGER_WEBHOOK_V4 = {
  type: 'object',
  additionalProperties: false,
  required: [
    'version',
    'groupKey',
    'truncatedAlerts',
    'status',
    'receiver',
    'groupLabels',
    'commonLabels',
    'commonAnnotations',
    'externalURL',
    'alerts',
  ],
  properties: {
    version: { const: '4' },
    groupKey: { type: 'string', minLength: 1 },
    truncatedAlerts: { type: 'integer', minimum: 0 },
    status: { enum: ['firing', 'resolved'] },
    receiver: { type: 'string' },
    groupLabels: KV,
    commonLabels: KV,
    commonAnnotations: KV,
    externalURL: { type: 'string' },
    alerts: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: [
          'status',
          'labels',
          'annotations',
          'startsAt',
          'endsAt',
          'generatorURL',
          'fingerprint',
        ],
        properties: {
          status: { enum: ['firing', 'resolved'] },
          labels: KV,
          annotations: KV,
          startsAt: { type: 'string', pattern: RFC3339 },
          endsAt: { type: 'string', pattern: RFC3339 },
          generatorURL: { type: 'string' },
          fingerprint: { type: 'string' },
        },
      },
    },
  },
};
