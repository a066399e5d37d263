import { JsonObject } from '@backstage/types';
import { SlotName } from '@model-ops/plugin-model-ops-common';
import {
  RuntimeDescription,
  SlotHealth,
} from '@model-ops/plugin-model-ops-node';
import { ModelEntry } from './modelStates';
import { describeError, isAlive, requestJson } from './processes';
import { reportedVersion } from './slots';

/**
 * How slot health is checked.
 *
 * @internal
 */
export interface HealthCheckOptions {
  /** The clock of `checkedAt`. */
  clock: () => Date;
  /** Timeout of one `GET /healthz`. */
  healthTimeoutMs: number;
}

/**
 * The health of a slot: `absent` or `starting` without a process, else what the process and
 * its `/healthz` say, `healthy` only with status `ok` and the recorded version.
 *
 * @internal
 */
export async function checkSlotHealth(
  entry: ModelEntry | undefined,
  slot: SlotName,
  options: HealthCheckOptions,
): Promise<SlotHealth> {
  const { clock } = options;
  const record = entry?.state.slots[slot];
  const starting = entry?.starting.get(slot);
  if (!record) {
    return starting
      ? {
          slot,
          status: 'starting',
          version: starting,
          message: `Starting version ${starting}`,
          checkedAt: clock(),
        }
      : { slot, status: 'absent', checkedAt: clock() };
  }
  const base = { slot, version: record.version };
  if (!isAlive(record.pid)) {
    return {
      ...base,
      status: 'unhealthy',
      message: `The model server process ${record.pid} is not running`,
      checkedAt: clock(),
    };
  }
  try {
    const answer = await requestJson({
      url: `${record.endpoint}/healthz`,
      timeoutMs: options.healthTimeoutMs,
    });
    const reported = reportedVersion(answer);
    if (answer.status !== 200 || answer.body?.status !== 'ok') {
      return {
        ...base,
        status: 'unhealthy',
        message: `GET /healthz answered ${answer.status}${
          answer.body?.status ? ` (${answer.body.status})` : ''
        }`,
        checkedAt: clock(),
      };
    }
    if (reported !== record.version) {
      return {
        ...base,
        status: 'unhealthy',
        message: `The server reports version ${reported}, expected ${record.version}`,
        checkedAt: clock(),
      };
    }
    return {
      ...base,
      status: 'healthy',
      message: starting ? `Deploying version ${starting}` : undefined,
      checkedAt: clock(),
    };
  } catch (e) {
    return {
      ...base,
      status: 'unhealthy',
      message: `GET /healthz failed: ${describeError(e)}`,
      checkedAt: clock(),
    };
  }
}

/**
 * A slot as `describe` shows it: version, endpoint, health and the process details (pid, port,
 * command, log file); undefined for a slot with neither a server nor a deployment under way.
 *
 * @internal
 */
export async function describeSlot(
  entry: ModelEntry,
  slot: SlotName,
  options: HealthCheckOptions & { logFile: string },
): Promise<RuntimeDescription['slots'][number] | undefined> {
  const record = entry.state.slots[slot];
  const starting = entry.starting.get(slot);
  if (!record && !starting) {
    return undefined;
  }
  const health = await checkSlotHealth(entry, slot, options);
  const details: JsonObject = { logFile: options.logFile };
  if (record) {
    details.pid = record.pid;
    details.port = record.port;
    details.startedAt = record.startedAt;
    details.command = record.command;
  }
  if (starting) {
    details.deploying = starting;
  }
  if (health.message) {
    details.message = health.message;
  }
  return {
    slot,
    version: record?.version ?? starting,
    endpoint: record?.endpoint,
    status: health.status,
    details,
  };
}
