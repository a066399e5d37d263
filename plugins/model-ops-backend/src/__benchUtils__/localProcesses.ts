/*
 * The local runtime's model servers and routers run detached, in process groups of their own,
 * and outlive the process that started them. A benchmark that gives the runtime a temporary
 * state folder finds them again by that folder in their command lines (/proc) and kills them
 * when it exits, however it exits.
 */
import fs from 'node:fs';

/** Pids of the processes whose command line names `dir`, this process excepted. */
export function processesUnder(dir: string): number[] {
  const found: number[] = [];
  let entries: string[] = [];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.split('\0').some(part => part.includes(dir))) {
        found.push(Number(entry));
      }
    } catch {
      // gone
    }
  }
  return found;
}

/** SIGKILL to the process groups (else the processes) of everything running under `dir`. */
export function killProcessesUnder(dir: string): number {
  const pids = processesUnder(dir);
  for (const pid of pids) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
  return pids.length;
}

/** Kills what runs under `dir`, and removes `dir`, when this process exits however it exits. */
export function cleanUpOnExit(dir: string): () => void {
  const hook = () => {
    killProcessesUnder(dir);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', hook);
  if (process.listenerCount('SIGINT') === 0) {
    process.once('SIGINT', () => process.exit(130));
  }
  if (process.listenerCount('SIGTERM') === 0) {
    process.once('SIGTERM', () => process.exit(143));
  }
  return () => process.removeListener('exit', hook);
}
