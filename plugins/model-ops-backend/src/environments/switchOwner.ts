import { randomUUID } from 'node:crypto';
import os from 'node:os';

let processOwner: string | undefined;

/**
 * This process's name as the owner of the switches it makes: host and pid, so that the history
 * says who a switch was taken over from, plus a random part, since pids repeat across restarts.
 *
 * @internal
 */
export function processSwitchOwner(): string {
  processOwner ??= `${os.hostname()}/${process.pid}/${randomUUID().slice(
    0,
    8,
  )}`;
  return processOwner;
}

/**
 * How long a switch is held without renewing when nothing else is configured.
 *
 * @internal
 */
export const DEFAULT_SWITCH_LEASE_SECONDS = 30;
