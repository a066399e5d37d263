import { SlotName } from '@model-ops/plugin-model-ops-common';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { LocalDeploymentConfig } from './deploymentConfig';
import {
  FAILURE_LOG_LINES,
  linesSince,
  openLogSection,
  slotLogPath,
} from './logs';
import { LocalRuntimeSettings } from './options';
import {
  delay,
  describeError,
  HttpAnswer,
  inheritedEnvironment,
  requestJson,
  SpawnedProcess,
  waitForListeningLine,
} from './processes';
import { SlotRecord } from './state';
import { ProcessSupervisor } from './supervisor';

/**
 * What a slot's model server is started with; `hash` tells whether a running one matches.
 *
 * @internal
 */
export interface StartSpec {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  artifactPath: string;
  version: string;
  hash: string;
}

/**
 * The version a `/healthz` answer reports, in its body or its `x-model-version` header.
 *
 * @internal
 */
export function reportedVersion(
  answer: Pick<HttpAnswer, 'body' | 'headers'>,
): unknown {
  return answer.body?.version ?? answer.headers['x-model-version'];
}

/**
 * The model server processes of the slots: how they are started (from the server settings and
 * the deployment's config), when they count as started, and whether a recorded one still
 * serves its version.
 *
 * @internal
 */
export class SlotProcesses {
  readonly #settings: LocalRuntimeSettings;
  readonly #clock: () => Date;
  readonly #supervisor: ProcessSupervisor;

  constructor(options: {
    settings: LocalRuntimeSettings;
    clock: () => Date;
    supervisor: ProcessSupervisor;
  }) {
    this.#settings = options.settings;
    this.#clock = options.clock;
    this.#supervisor = options.supervisor;
  }

  /** The log file of a slot. */
  logPath(modelId: string, slot: SlotName): string {
    return slotLogPath(this.#settings.stateDir, modelId, slot);
  }

  /** The command, arguments and environment a slot's server gets, and their hash. */
  startSpec(
    modelId: string,
    slot: SlotName,
    artifactPath: string,
    version: string,
    deployment: LocalDeploymentConfig,
  ): StartSpec {
    const server = this.#settings.server;
    const replace = (arg: string) =>
      arg
        .replace(/\{artifact\}/g, artifactPath)
        .replace(/\{port\}/g, '0')
        .replace(/\{modelId\}/g, modelId)
        .replace(/\{version\}/g, version)
        .replace(/\{slot\}/g, slot);
    const env = inheritedEnvironment();
    Object.assign(env, server.env, deployment.env, {
      MODEL_OPS_MODEL_ID: modelId,
      MODEL_OPS_SLOT: slot,
      MODEL_OPS_VERSION: version,
    });
    const args = server.args.map(replace);
    const hash = crypto
      .createHash('sha256')
      .update(
        JSON.stringify({
          command: server.command,
          args,
          cwd: server.cwd,
          env: Object.entries(env).sort(),
          artifactPath,
          version,
        }),
      )
      .digest('hex');
    return {
      command: server.command,
      args,
      cwd: server.cwd,
      env,
      artifactPath,
      version,
      hash,
    };
  }

  /**
   * Starts a slot's server and waits for its listening line and a healthy `/healthz` with the
   * expected version. On failure the new process is stopped and the error quotes its log.
   */
  async start(
    modelId: string,
    slot: SlotName,
    spec: StartSpec,
    timeoutSeconds: number,
  ): Promise<SlotRecord> {
    const logPath = this.logPath(modelId, slot);
    const startedAt = this.#clock();
    const offset = await openLogSection(
      logPath,
      this.#settings.logMaxBytes,
      `${startedAt.toISOString()} starting ${modelId} slot ${slot} version ${
        spec.version
      }: ${[spec.command, ...spec.args].join(' ')}`,
    );
    const fail = async (reason: string, pid?: number): Promise<never> => {
      if (pid) {
        await this.#supervisor.stop(
          pid,
          `${modelId}/${slot} version ${spec.version}`,
        );
      }
      const lines = await linesSince(logPath, offset, FAILURE_LOG_LINES);
      throw new Error(
        `Could not start ${modelId} slot ${slot} version ${
          spec.version
        }: ${reason}. ${
          lines.length
            ? `Last log lines:\n${lines.join('\n')}`
            : `The server wrote nothing to ${logPath}.`
        }`,
      );
    };
    if (
      spec.command === process.execPath &&
      spec.args[0] &&
      !fs.existsSync(spec.args[0])
    ) {
      return fail(
        `the model server ${spec.args[0]} does not exist; set modelOps.local.server.command and .args`,
      );
    }

    let proc: SpawnedProcess;
    try {
      proc = await this.#supervisor.spawn({
        command: spec.command,
        args: spec.args,
        cwd: spec.cwd,
        env: spec.env,
        logPath,
      });
    } catch (e) {
      return fail(describeError(e));
    }
    const deadline = Date.now() + timeoutSeconds * 1000;
    try {
      const line = await waitForListeningLine({
        logPath,
        offset,
        deadline,
        process: proc,
      });
      // Servers are started on loopback only, whatever host they print.
      const endpoint = `http://127.0.0.1:${line.port}`;
      await this.#waitHealthy(endpoint, spec.version, deadline, proc);
      return {
        slot,
        pid: proc.pid,
        port: line.port,
        endpoint,
        version: spec.version,
        startedAt: startedAt.toISOString(),
        command: [spec.command, ...spec.args],
        artifactPath: spec.artifactPath,
        specHash: spec.hash,
      };
    } catch (e) {
      return fail(describeError(e), proc.pid);
    }
  }

  /** Whether a recorded server answers `/healthz` with its recorded version. */
  async answers(record: SlotRecord): Promise<boolean> {
    try {
      const answer = await requestJson({
        url: `${record.endpoint}/healthz`,
        timeoutMs: this.#settings.healthTimeoutMs,
      });
      return (
        answer.status === 200 && reportedVersion(answer) === record.version
      );
    } catch {
      return false;
    }
  }

  async #waitHealthy(
    endpoint: string,
    version: string,
    deadline: number,
    proc: SpawnedProcess,
  ): Promise<void> {
    let last = 'no answer yet';
    for (;;) {
      if (proc.hasExited()) {
        const info = await proc.exited;
        throw new Error(
          `the process exited before it was healthy (${
            info.signal ? `signal ${info.signal}` : `exit code ${info.code}`
          })`,
        );
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new Error(
          `timed out waiting for a healthy ${endpoint}/healthz (${last})`,
        );
      }
      try {
        const answer = await requestJson({
          url: `${endpoint}/healthz`,
          timeoutMs: Math.min(remaining, this.#settings.healthTimeoutMs),
        });
        const reported = reportedVersion(answer);
        if (answer.status === 200 && reported === version) {
          return;
        }
        if (answer.status === 200 && reported !== undefined) {
          // Not worth waiting for: the server holds another version.
          throw Object.assign(
            new Error(
              `the server reports version ${reported}, expected ${version}`,
            ),
            { fatal: true },
          );
        }
        last = `last answer: status ${answer.status}`;
      } catch (e) {
        if ((e as { fatal?: boolean }).fatal) {
          throw e;
        }
        last = `last error: ${describeError(e)}`;
      }
      await Promise.race([
        delay(Math.min(50, Math.max(0, remaining))),
        proc.exited,
      ]);
    }
  }
}
