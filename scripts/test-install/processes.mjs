/*
 * Child processes for `yarn test:install`: every child runs in its own process group, with its
 * output in a log file, so that a step can be bounded in time and everything it started can be
 * stopped whole (also on Ctrl-C and when CI's time limit sends SIGTERM).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

export const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

/** A failure whose message is meant for the log as it is (no stack trace). */
export class CheckError extends Error {}

const children = new Set();

function groupAlive(pid) {
  try {
    process.kill(-pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone already.
  }
}

/** Stops a process group: SIGTERM, then SIGKILL after `graceMs`; bounded. */
export async function stopGroup(pid, graceMs = 10_000) {
  if (!pid || !groupAlive(pid)) return;
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (groupAlive(pid) && Date.now() < deadline) await sleep(100);
  if (groupAlive(pid)) {
    signalGroup(pid, 'SIGKILL');
    const killDeadline = Date.now() + 5_000;
    while (groupAlive(pid) && Date.now() < killDeadline) await sleep(100);
  }
}

/** Stops every child still running. */
export async function stopAllChildren() {
  await Promise.all(
    [...children].map(async entry => {
      await stopGroup(entry.child.pid, entry.graceMs);
      children.delete(entry);
    }),
  );
}

// Last resort when the process exits some other way: no orphaned groups.
process.on('exit', () => {
  for (const { child } of children)
    if (child.pid) signalGroup(child.pid, 'SIGKILL');
});

/**
 * Starts a long-running child in its own process group, its stdout and stderr appended to
 * `logFile` (and echoed when `echo` is set). Returns `{ child, exited, stop }`.
 */
export function startChild(
  cmd,
  args,
  { cwd, env, logFile, echo = false, graceMs = 10_000 },
) {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const fd = fs.openSync(logFile, 'a');
  fs.writeSync(fd, `$ (cd ${cwd} && ${[cmd, ...args].join(' ')})\n`);
  const child = spawn(cmd, args, {
    cwd,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const entry = { child, graceMs };
  children.add(entry);
  let open = true;
  for (const stream of [child.stdout, child.stderr]) {
    stream.on('data', chunk => {
      if (open) fs.writeSync(fd, chunk);
      if (echo) process.stderr.write(chunk);
    });
  }
  const exited = new Promise(resolve => {
    child.on('error', error => resolve({ code: null, signal: null, error }));
    // 'close', not 'exit': output may still arrive after the process exited.
    child.on('close', (code, signal) => {
      entry.exitedAt = Date.now();
      if (open) {
        open = false;
        fs.closeSync(fd);
      }
      resolve({ code, signal });
    });
  });
  entry.exited = exited;
  return {
    child,
    exited,
    hasExited: () => entry.exitedAt !== undefined,
    async stop() {
      await stopGroup(child.pid, graceMs);
      children.delete(entry);
    },
  };
}

/**
 * Runs a command to completion within `timeoutMs`; throws a CheckError naming the command and
 * quoting the end of its log when it fails or runs over.
 */
export async function runCommand(cmd, args, options) {
  const { timeoutMs, logFile } = options;
  const started = Date.now();
  const handle = startChild(cmd, args, options);
  let timer;
  const timedOut = new Promise(resolve => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const result = await Promise.race([handle.exited, timedOut]);
  clearTimeout(timer);
  await handle.stop(); // the command's leftovers, if any
  const shown = [path.basename(cmd), ...args].join(' ');
  if (result === 'timeout') {
    throw new CheckError(
      `\`${shown}\` did not finish within ${
        timeoutMs / 1000
      }s; the end of ${logFile}:\n${tail(logFile)}`,
    );
  }
  if (result.error) {
    throw new CheckError(
      `\`${shown}\` could not start: ${result.error.message}`,
    );
  }
  if (result.code !== 0) {
    throw new CheckError(
      `\`${shown}\` failed (${
        result.signal ?? `exit code ${result.code}`
      }) after ${((Date.now() - started) / 1000).toFixed(
        0,
      )}s; the end of ${logFile}:\n${tail(logFile)}`,
    );
  }
}

/** The last lines of a log, without colour codes and without yarn's build chatter. */
export function tail(file, lines = 40) {
  if (!fs.existsSync(file)) return '    (no log)';
  return fs
    .readFileSync(file, 'utf8')
    .replace(/\x1b\[[0-9;]*m/g, '')
    .trimEnd()
    .split('\n')
    .filter(line => !/ STD(OUT|ERR) /.test(line))
    .slice(-lines)
    .map(line => `    ${line}`)
    .join('\n');
}

function ownProcessGroup() {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return process.pid;
  }
}

/**
 * Kills the process groups of processes left running whose command line mentions `dir` (the
 * model servers and routers the local runtime starts detached, in case the backend could not
 * stop them). Only ever processes started under the check's own temporary folder.
 */
export async function killLeftovers(dir) {
  const found = new Map();
  let pids = [];
  try {
    pids = fs.readdirSync('/proc').filter(name => /^\d+$/.test(name));
  } catch {
    return []; // no /proc: nothing to find
  }
  for (const pid of pids) {
    if (Number(pid) === process.pid) continue;
    try {
      const cmdline = fs
        .readFileSync(`/proc/${pid}/cmdline`, 'utf8')
        .replace(/\0/g, ' ');
      if (!cmdline.includes(dir)) continue;
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      // pgrp is the 5th field; the 2nd (comm) is in parentheses and may contain spaces.
      const pgid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      found.set(Number(pid), { pgid, cmdline: cmdline.trim().slice(0, 160) });
    } catch {
      // The process ended meanwhile.
    }
  }
  const own = ownProcessGroup();
  const groups = new Set(
    [...found.values()]
      .map(p => p.pgid)
      .filter(pgid => pgid > 1 && pgid !== own),
  );
  await Promise.all([...groups].map(pgid => stopGroup(pgid, 5_000)));
  return [...found.values()].map(p => p.cmdline);
}
