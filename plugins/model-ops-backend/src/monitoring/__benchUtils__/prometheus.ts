/*
 * A real Prometheus for `yarn bench:tick`: its own temporary data folder and loopback port,
 * scraping one target, with one rule file; killed when the benchmark exits, however it exits.
 */
import { ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  freePort,
  killOnExit,
  stopChild,
  waitFor,
} from '../../__benchUtils__/bench';

/** A rule group's figures from Prometheus' own /metrics. */
export interface RuleGroupStats {
  lastDurationSeconds?: number;
  lastEvaluationSamples?: number;
  iterations?: number;
  missedIterations?: number;
  evaluationFailures: number;
  /** Prometheus' resident memory. */
  residentMemoryBytes?: number;
}

export interface BenchPrometheus {
  child: ChildProcess;
  baseUrl: string;
  dir: string;
  /** Runs an instant query and returns its vector. */
  query(
    promql: string,
  ): Promise<
    Array<{ metric: Record<string, string>; value: [number, string] }>
  >;
  /** The figures of the rule group `group` of the rule file, from /metrics. */
  ruleGroup(group: string): Promise<RuleGroupStats>;
  stop(): Promise<void>;
}

/** One rule of a Prometheus rule group. */
export interface AlertingRule {
  alert: string;
  expr: string;
  for: string;
  labels?: Record<string, string>;
}

/**
 * Starts Prometheus scraping `target` (`host:port`, path /metrics) every `intervalSeconds`, with
 * one rule group evaluated as often, and resolves once it is ready. The configuration is written
 * as JSON (which is YAML).
 */
export async function startBenchPrometheus(options: {
  binary: string;
  target: string;
  job: string;
  intervalSeconds: number;
  group: { name: string; rules: AlertingRule[] };
  timeoutMs?: number;
}): Promise<BenchPrometheus> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'model-ops-bench-prom-'));
  const interval = `${options.intervalSeconds}s`;
  const rulesFile = path.join(dir, 'rules.yml');
  fs.writeFileSync(
    rulesFile,
    JSON.stringify(
      {
        groups: [
          {
            name: options.group.name,
            interval,
            rules: options.group.rules,
          },
        ],
      },
      null,
      2,
    ),
  );
  fs.writeFileSync(
    path.join(dir, 'prometheus.yml'),
    JSON.stringify(
      {
        global: {
          scrape_interval: interval,
          // As long as the interval: a 10,000-model exposition is tens of MB.
          scrape_timeout: interval,
          evaluation_interval: interval,
        },
        rule_files: [rulesFile],
        scrape_configs: [
          {
            // body_size_limit and sample_limit stay at their defaults: unlimited.
            job_name: options.job,
            static_configs: [{ targets: [options.target] }],
          },
        ],
      },
      null,
      2,
    ),
  );
  const port = await freePort();
  const child = spawn(
    options.binary,
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      '--storage.tsdb.retention.time=1h',
      `--web.listen-address=127.0.0.1:${port}`,
      // The tick's queries carry every model id in one regex matcher: allow long, many-sample
      // queries (the defaults are 2m and 50,000,000 samples already; said here on purpose).
      '--query.timeout=2m',
      '--query.max-samples=50000000',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], cwd: dir },
  );
  killOnExit(child, () => fs.rmSync(dir, { recursive: true, force: true }));
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await stopChild(child);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      'prometheus ready',
      async () => {
        if (child.exitCode !== null)
          throw new Error(`prometheus exited: ${stderr}`);
        const response = await fetch(`${baseUrl}/-/ready`);
        return response.status === 200 ? true : undefined;
      },
      options.timeoutMs ?? 30_000,
      200,
    );
  } catch (e) {
    await stop();
    throw new Error(`${(e as Error).message}; stderr: ${stderr}`);
  }
  const groupLabel = (group: string) => `rule_group="${rulesFile};${group}"`;
  return {
    child,
    baseUrl,
    dir,
    stop,
    async query(promql) {
      const response = await fetch(`${baseUrl}/api/v1/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ query: promql }).toString(),
      });
      const json = await response.json();
      if (json.status !== 'success')
        throw new Error(`${promql}: ${json.error}`);
      return json.data.result;
    },
    async ruleGroup(group) {
      const text = await (await fetch(`${baseUrl}/metrics`)).text();
      const label = groupLabel(group);
      const stats: RuleGroupStats = { evaluationFailures: 0 };
      for (const line of text.split('\n')) {
        const match = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/.exec(line);
        if (!match) continue;
        const [, name, labels = '', raw] = match;
        const value = Number(raw);
        if (name === 'process_resident_memory_bytes' && !labels) {
          stats.residentMemoryBytes = value;
        }
        if (!labels.includes(label)) continue;
        switch (name) {
          case 'prometheus_rule_group_last_duration_seconds':
            stats.lastDurationSeconds = value;
            break;
          case 'prometheus_rule_group_last_evaluation_samples':
            stats.lastEvaluationSamples = value;
            break;
          case 'prometheus_rule_group_iterations_total':
            stats.iterations = value;
            break;
          case 'prometheus_rule_group_iterations_missed_total':
            stats.missedIterations = value;
            break;
          case 'prometheus_rule_evaluation_failures_total':
            stats.evaluationFailures += value;
            break;
          default:
        }
      }
      return stats;
    },
  };
}
