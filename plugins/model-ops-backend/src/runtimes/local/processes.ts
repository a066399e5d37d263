import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';

/**
 * How a spawned process ended.
 *
 * @internal
 */
export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  error?: Error;
}

/**
 * A process this backend spawned, detached in its own process group.
 *
 * @internal
 */
export interface SpawnedProcess {
  pid: number;
  child: ChildProcess;
  /** Settles when the process has exited (and been reaped), or failed to spawn. */
  exited: Promise<ExitInfo>;
  hasExited(): boolean;
}

/**
 * The message of an error, for log lines and wrapped errors.
 *
 * @internal
 */
export function describeError(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Variables of the backend's environment that child processes inherit; nothing secret. */
const INHERITED_ENV = [
  'PATH',
  'HOME',
  'USER',
  'LANG',
  'LC_ALL',
  'TZ',
  'TMPDIR',
  'SYSTEMROOT',
];

/**
 * The part of this process's environment that model servers and routers start with.
 *
 * @internal
 */
export function inheritedEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of INHERITED_ENV) {
    if (process.env[name] !== undefined) {
      env[name] = process.env[name]!;
    }
  }
  return env;
}

/**
 * Resolves after `ms` milliseconds.
 *
 * @internal
 */
export function delay(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms));
}

/**
 * Starts a process in its own process group (so a backend crash does not take it down), with
 * stdout and stderr appended straight to `logPath` (so it never writes into a dead pipe).
 *
 * @internal
 */
export async function spawnDetached(options: {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  logPath: string;
}): Promise<SpawnedProcess> {
  const handle = await fsp.open(options.logPath, 'a', 0o600);
  let child: ChildProcess;
  try {
    child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', handle.fd, handle.fd],
    });
  } finally {
    await handle.close();
  }
  let exitedFlag = false;
  const exited = new Promise<ExitInfo>(resolve => {
    child.once('exit', (code, signal) => {
      exitedFlag = true;
      resolve({ code, signal });
    });
    child.once('error', error => {
      if (child.pid === undefined) {
        exitedFlag = true;
        resolve({ code: null, signal: null, error });
      }
    });
  });
  if (child.pid === undefined) {
    const info = await exited;
    throw new Error(
      `Cannot start ${options.command}: ${
        info.error?.message ?? 'spawn failed'
      }`,
    );
  }
  child.unref();
  return { pid: child.pid, child, exited, hasExited: () => exitedFlag };
}

/**
 * Whether a process with this id exists and is not a zombie.
 *
 * @internal
 */
export function isAlive(pid: number | undefined): boolean {
  if (!pid || !Number.isInteger(pid) || pid <= 0) {
    return false;
  }
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(
      stat.lastIndexOf(')') + 2,
      stat.lastIndexOf(')') + 3,
    );
    return state !== 'Z' && state !== 'X';
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

/**
 * Whether any process of the group led by `pgid` is still running (zombies do not count).
 *
 * @internal
 */
export function isGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // kill(0) also succeeds for zombies; on Linux look for a member that is not one.
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return true;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields: state ppid pgrp ...
      if (
        Number(fields[2]) === pgid &&
        fields[0] !== 'Z' &&
        fields[0] !== 'X'
      ) {
        return true;
      }
    } catch {
      // the process went away while reading
    }
  }
  return false;
}

/**
 * The command line of a process (Linux), or undefined.
 *
 * @internal
 */
export function readCommandLine(pid: number): string[] | undefined {
  try {
    const raw = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw
      .split('\0')
      .filter((part, i, all) => part !== '' || i < all.length - 1);
  } catch {
    return undefined;
  }
}

async function waitUntil(
  condition: () => boolean,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (condition()) {
      return true;
    }
    if (Date.now() >= deadline) {
      return false;
    }
    await delay(20);
  }
}

/**
 * Stops the process group led by `pgid`: SIGTERM, then SIGKILL after `graceMs`. Resolves to
 * true when no process of the group is left.
 *
 * @internal
 */
export async function stopProcessGroup(
  pgid: number,
  graceMs: number,
): Promise<boolean> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pgid, sig);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') {
        throw e;
      }
    }
  };
  if (!isGroupAlive(pgid)) {
    return true;
  }
  signal('SIGTERM');
  let stopped = await waitUntil(() => !isGroupAlive(pgid), graceMs);
  if (!stopped) {
    signal('SIGKILL');
    stopped = await waitUntil(() => !isGroupAlive(pgid), 3000);
  }
  if (stopped) {
    // Give the parents (this process, or init for orphaned grandchildren) a moment to reap
    // the exited members, so that no pid of the group is left at all.
    await waitUntil(() => !groupHasAnyMember(pgid), 3000);
  }
  return stopped;
}

function groupHasAnyMember(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The `listening` line a server prints on stdout.
 *
 * @internal
 */
export interface ListeningLine {
  event: 'listening';
  host?: string;
  port: number;
  pid?: number;
  modelId?: string;
  version?: string;
}

/**
 * Waits until a `{"event":"listening",...}` JSON line appears in the log after `offset`. Polls
 * the file every 25 ms; gives up at `deadline` or when the process exits.
 *
 * @internal
 */
export async function waitForListeningLine(options: {
  logPath: string;
  offset: number;
  deadline: number;
  process: SpawnedProcess;
}): Promise<ListeningLine> {
  let offset = options.offset;
  let pending = '';
  for (;;) {
    let size = 0;
    try {
      size = (await fsp.stat(options.logPath)).size;
    } catch {
      size = 0;
    }
    if (size < offset) {
      offset = 0; // the log was rotated
      pending = '';
    }
    if (size > offset) {
      const handle = await fsp.open(options.logPath, 'r');
      try {
        const buffer = Buffer.alloc(size - offset);
        const { bytesRead } = await handle.read(
          buffer,
          0,
          buffer.length,
          offset,
        );
        offset += bytesRead;
        pending += buffer.subarray(0, bytesRead).toString('utf8');
      } finally {
        await handle.close();
      }
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const trimmed = line.trim();
        if (!trimmed.startsWith('{') || !trimmed.includes('listening')) {
          continue;
        }
        try {
          const parsed = JSON.parse(trimmed);
          if (
            parsed?.event === 'listening' &&
            Number.isInteger(parsed.port) &&
            parsed.port > 0
          ) {
            // The pid is not compared: a wrapper command (yarn, npx) prints another one.
            return parsed as ListeningLine;
          }
        } catch {
          // not JSON
        }
      }
    }
    if (options.process.hasExited()) {
      const info = await options.process.exited;
      throw new Error(
        `the process exited before listening (${
          info.signal ? `signal ${info.signal}` : `exit code ${info.code}`
        })`,
      );
    }
    const remaining = options.deadline - Date.now();
    if (remaining <= 0) {
      throw new Error('timed out waiting for the "listening" line on stdout');
    }
    await Promise.race([
      delay(Math.min(25, remaining)),
      options.process.exited,
    ]);
  }
}

/**
 * A JSON answer from a small HTTP call.
 *
 * @internal
 */
export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: any;
  text: string;
}

/**
 * One HTTP request without keep-alive and with a hard timeout; answers the parsed JSON.
 *
 * @internal
 */
export function requestJson(options: {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: unknown;
  timeoutMs: number;
}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const payload =
      options.body === undefined
        ? undefined
        : Buffer.from(JSON.stringify(options.body));
    let timer: NodeJS.Timeout | undefined = undefined;
    const fail = (error: Error) => {
      clearTimeout(timer);
      reject(error);
    };
    const req = http.request(
      options.url,
      {
        method: options.method ?? 'GET',
        agent: false,
        headers: {
          accept: 'application/json',
          ...(payload
            ? {
                'content-type': 'application/json',
                'content-length': payload.length,
              }
            : {}),
          ...options.headers,
        },
      },
      res => {
        const chunks: Buffer[] = [];
        res.on('data', chunk => chunks.push(chunk));
        res.on('error', fail);
        res.on('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          let body: any;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            body = undefined;
          }
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            text,
          });
        });
      },
    );
    timer = setTimeout(() => {
      req.destroy(
        new Error(
          `no answer from ${options.url} within ${options.timeoutMs} ms`,
        ),
      );
    }, options.timeoutMs);
    req.on('error', fail);
    req.end(payload);
  });
}
