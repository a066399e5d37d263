/**
 * Runs the model server as a child process and talks HTTP to it; used by the tests and by
 * scripts/latency.ts.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { Agent, request as httpRequest } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';

export interface ListeningEvent {
  event: 'listening';
  host: string;
  port: number;
  modelId: string;
  version: string;
  pid: number;
}

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json(): any;
}

export interface ChildServer {
  child: ChildProcess;
  listening: ListeningEvent;
  url: string;
  /** Every stdout line so far, the listening line first. */
  lines: string[];
  stderr(): string;
  /** Resolves with the first stdout line (parsed) that `predicate` accepts; rejects after `timeoutMs`. */
  waitForLog(
    predicate: (entry: any) => boolean,
    timeoutMs?: number,
  ): Promise<any>;
  request(method: string, path: string, body?: unknown): Promise<HttpResult>;
  /** Resolves with the exit code (or signal name) once the child has exited. */
  exited: Promise<number | string>;
  /** Sends `signal` (SIGTERM by default) and waits at most `timeoutMs` for the exit. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | string>;
}

/** An HTTP request to 127.0.0.1 over `agent`. */
export function httpCall(
  agent: Agent,
  url: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<HttpResult> {
  return new Promise((resolvePromise, reject) => {
    let payload: string | undefined;
    if (body !== undefined)
      payload = typeof body === 'string' ? body : JSON.stringify(body);
    const req = httpRequest(
      `${url}${path}`,
      {
        method,
        agent,
        headers:
          payload === undefined
            ? {}
            : {
                'content-type': 'application/json',
                'content-length': Buffer.byteLength(payload),
              },
      },
      res => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolvePromise({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json: () => JSON.parse(text),
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * Starts `node <serverScript> --artifact <artifact> --port 0 ...extraArgs` and resolves once it
 * printed its listening line; rejects if it exits first or does not listen within `timeoutMs`.
 */
export function startServer(options: {
  serverScript: string;
  artifact: string;
  extraArgs?: string[];
  timeoutMs?: number;
}): Promise<ChildServer> {
  const { serverScript, artifact, extraArgs = [], timeoutMs = 15000 } = options;
  const child = spawn(
    process.execPath,
    [
      serverScript,
      '--artifact',
      artifact,
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      ...extraArgs,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: string[] = [];
  const lineListeners = new Set<(line: string) => void>();
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  let stderr = '';
  let partial = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderr += chunk;
  });
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    partial += chunk;
    const complete = partial.split('\n');
    partial = complete.pop() ?? '';
    for (const line of complete) {
      lines.push(line);
      for (const listener of lineListeners) listener(line);
    }
  });
  const exited = new Promise<number | string>(resolveExit => {
    child.on('exit', (code, signal) => {
      agent.destroy();
      resolveExit(code ?? signal ?? 'unknown');
    });
  });

  const waitForLine = (
    accept: (line: string) => boolean,
    waitMs: number,
    what: string,
  ) =>
    new Promise<string>((resolveLine, rejectLine) => {
      const seen = lines.find(accept);
      if (seen !== undefined) {
        resolveLine(seen);
        return;
      }
      const pending: { timer?: NodeJS.Timeout } = {};
      const onLine = (candidate: string) => {
        if (!accept(candidate)) return;
        clearTimeout(pending.timer);
        lineListeners.delete(onLine);
        resolveLine(candidate);
      };
      pending.timer = setTimeout(() => {
        lineListeners.delete(onLine);
        rejectLine(new Error(`${what} within ${waitMs} ms; stderr: ${stderr}`));
      }, waitMs);
      lineListeners.add(onLine);
    });

  const parsed = (line: string): any => {
    try {
      return JSON.parse(line);
    } catch {
      return undefined;
    }
  };

  const server: Omit<ChildServer, 'listening' | 'url' | 'request'> = {
    child,
    lines,
    exited,
    stderr: () => stderr,
    waitForLog: (predicate, waitMs = 10000) =>
      waitForLine(
        line => {
          const entry = parsed(line);
          return entry !== undefined && predicate(entry);
        },
        waitMs,
        'no matching log line',
      ).then(parsed),
    stop(signal = 'SIGTERM', stopTimeoutMs = 10000) {
      if (child.exitCode === null && child.signalCode === null)
        child.kill(signal);
      let killTimer: NodeJS.Timeout | undefined;
      const deadline = new Promise<string>(resolveDeadline => {
        killTimer = setTimeout(() => {
          child.kill('SIGKILL');
          resolveDeadline('timeout');
        }, stopTimeoutMs);
      });
      return Promise.race([exited, deadline]).finally(() =>
        clearTimeout(killTimer),
      );
    },
  };

  const firstLine = waitForLine(
    () => true,
    timeoutMs,
    'server did not print its listening line',
  );
  const early = exited.then(code => {
    throw new Error(
      `server exited with ${code} before listening; stderr: ${stderr}`,
    );
  });
  return Promise.race([firstLine, early]).then(
    line => {
      const listening = parsed(line) as ListeningEvent | undefined;
      if (listening?.event !== 'listening') {
        child.kill('SIGKILL');
        throw new Error(
          `first stdout line is not the listening event: ${line}`,
        );
      }
      const url = `http://${listening.host}:${listening.port}`;
      return {
        ...server,
        listening,
        url,
        request: (method: string, path: string, body?: unknown) =>
          httpCall(agent, url, method, path, body),
      };
    },
    error => {
      child.kill('SIGKILL');
      throw error;
    },
  );
}

/** Prometheus text format: the value of the sample `name{labels}` (labels in any order), or undefined. */
export function metricValue(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const found: Record<string, string> = {};
    for (const m of (match[2] ?? '').matchAll(
      /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g,
    ))
      found[m[1]] = m[2];
    const wanted = Object.entries(labels);
    if (
      wanted.length === Object.keys(found).length &&
      wanted.every(([k, v]) => found[k] === v)
    ) {
      return Number(match[3]);
    }
  }
  return undefined;
}
