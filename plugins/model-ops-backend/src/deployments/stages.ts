import { JsonObject } from '@backstage/types';
import {
  SlotName,
  StageCheck,
  StageMetrics,
} from '@model-ops/plugin-model-ops-common';
import { ModelRuntime, RuntimeModelRef } from '@model-ops/plugin-model-ops-node';
import Ajv from 'ajv';
import { ArtifactError, ArtifactFetcher, FetchedArtifact } from './ArtifactFetcher';
import { percentile, predict, round } from './modelClient';
import { PipelineBudgets } from './pipelineConfig';

/**
 * A stage's notebook: what it checked (each check passed or failed, with its detail), what it
 * measured, and the errors that ended it (one line each, not a copy of every failed check).
 */
export class StageRecorder {
  readonly checks: StageCheck[] = [];
  readonly errors: string[] = [];
  readonly metrics: StageMetrics = {};

  constructor(
    private readonly now: () => Date,
    private readonly onChange: () => Promise<void>,
  ) {}

  async check(name: string, ok: boolean, detail?: string, durationMs?: number) {
    this.checks.push({
      name,
      ok,
      detail,
      at: this.now().toISOString(),
      durationMs: durationMs === undefined ? undefined : Math.round(durationMs),
    });
    await this.onChange();
  }

  async metric(values: StageMetrics) {
    Object.assign(this.metrics, values);
    await this.onChange();
  }

  async error(message: string) {
    this.errors.push(message);
    await this.onChange();
  }
}

/** A stage that did not pass; the run stops (or, in production, rolls back). */
export class StageFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StageFailure';
  }
}

/** What every stage gets to work with. */
export interface StageContext {
  model: RuntimeModelRef;
  version: string;
  artifact: { uri: string; sha256?: string };
  config: JsonObject;
  runtime: ModelRuntime;
  fetcher: ArtifactFetcher;
  budgets: PipelineBudgets;
  verificationInputs: string[];
  recorder: StageRecorder;
  signal: AbortSignal;
}

function throwIfAborted(signal: AbortSignal) {
  if (signal.aborted) {
    throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
  }
}

const ajv = new Ajv({ allErrors: true, strict: false });

/**
 * validation: fetch the artifact and verify its checksums, validate the deployment config
 * against the runtime's schema, and check that the runtime can serve the model's format.
 */
export async function runValidation(ctx: StageContext): Promise<FetchedArtifact> {
  const { recorder } = ctx;
  if (!ctx.artifact.sha256) {
    await recorder.check('checksum', false, 'no sha256 was given for the artifact');
    throw new StageFailure('The artifact has no sha256 to verify');
  }
  let fetched: FetchedArtifact;
  const started = performance.now();
  try {
    fetched = await ctx.fetcher.fetch({
      uri: ctx.artifact.uri,
      sha256: ctx.artifact.sha256,
      modelId: ctx.model.modelId,
      version: ctx.version,
    });
  } catch (error) {
    if (error instanceof ArtifactError) {
      await recorder.check(error.check, false, error.message, performance.now() - started);
      throw new StageFailure(error.message);
    }
    throw error;
  }
  await recorder.check(
    'fetch',
    true,
    `${fetched.manifest.files.length} files from ${ctx.artifact.uri}`,
    performance.now() - started,
  );
  await recorder.check('checksum', true, `manifest sha256 ${fetched.manifestSha256}`);

  const validate = ajv.compile(ctx.runtime.configSchema);
  if (!validate(ctx.config)) {
    const detail = (validate.errors ?? [])
      .map(e => `config${e.instancePath} ${e.message}`)
      .join('; ');
    await recorder.check('config-schema', false, detail);
    throw new StageFailure(`The deployment config does not fit runtime ${ctx.runtime.id}: ${detail}`);
  }
  await recorder.check('config-schema', true, `valid for runtime ${ctx.runtime.id}`);

  const format = String(fetched.model.format ?? '');
  if (!ctx.runtime.frameworks.includes(format)) {
    const detail = `runtime ${ctx.runtime.id} serves ${ctx.runtime.frameworks.join(
      ', ',
    )}; the artifact is "${format || 'unknown'}"`;
    await recorder.check('dependencies', false, detail);
    throw new StageFailure(detail);
  }
  await recorder.check(
    'dependencies',
    true,
    `${format} (${String(fetched.model.framework ?? 'unknown framework')}) is served by ${ctx.runtime.id}`,
  );
  await recorder.metric({
    files: fetched.manifest.files.length,
    functionalCases: fetched.tests?.cases.length ?? 0,
  });
  return fetched;
}

/**
 * testing: an ephemeral instance in the `testing` slot; the artifact's functional cases, then
 * performance (p95 of sequential requests) and load (concurrency for a duration) against budgets.
 * The instance is always torn down.
 */
export async function runTesting(ctx: StageContext, artifact: FetchedArtifact): Promise<void> {
  const { recorder, budgets } = ctx;
  const cases = artifact.tests?.cases ?? [];
  if (cases.length === 0) {
    await recorder.check('functional', false, 'the artifact ships no tests.json cases');
    throw new StageFailure('The artifact ships no functional test cases');
  }
  const deployStarted = performance.now();
  const { endpoint } = await ctx.runtime.deploy({
    model: ctx.model,
    slot: 'testing',
    artifact: { ...ctx.artifact, version: ctx.version, localPath: artifact.localPath },
    config: ctx.config,
  });
  await recorder.check('instance', true, `ephemeral instance at ${endpoint}`, performance.now() - deployStarted);
  try {
    // Functional.
    let failed = 0;
    for (const testCase of cases) {
      throwIfAborted(ctx.signal);
      const result = await predict(endpoint, testCase.input);
      const name = `functional: ${testCase.name ?? testCase.input.slice(0, 40)}`;
      if (!result.ok) {
        failed++;
        await recorder.check(name, false, `request failed: ${result.error}`, result.latencyMs);
      } else if (result.label !== testCase.expected.label) {
        failed++;
        await recorder.check(
          name,
          false,
          `expected "${testCase.expected.label}", got "${result.label}" for input "${testCase.input}"`,
          result.latencyMs,
        );
      } else {
        await recorder.check(name, true, `"${result.label}"`, result.latencyMs);
      }
    }
    await recorder.metric({ functionalPassed: cases.length - failed, functionalFailed: failed });
    if (failed > 0) {
      throw new StageFailure(`${failed} of ${cases.length} functional cases failed`);
    }

    // Performance: sequential requests, p95 against the budget.
    const latencies: number[] = [];
    let perfErrors = 0;
    for (let i = 0; i < budgets.performance.requests; i++) {
      throwIfAborted(ctx.signal);
      const result = await predict(endpoint, cases[i % cases.length].input);
      latencies.push(result.latencyMs);
      if (!result.ok) perfErrors++;
    }
    const p50 = percentile(latencies, 50);
    const p95 = percentile(latencies, 95);
    await recorder.metric({
      p50Ms: round(p50),
      p95Ms: round(p95),
      p95BudgetMs: budgets.performance.p95BudgetMs,
      performanceRequests: latencies.length,
    });
    const perfOk = p95 <= budgets.performance.p95BudgetMs && perfErrors === 0;
    await recorder.check(
      'performance',
      perfOk,
      `p95 ${round(p95)} ms over ${latencies.length} requests (budget ${budgets.performance.p95BudgetMs} ms)${
        perfErrors ? `, ${perfErrors} errors` : ''
      }`,
    );
    if (!perfOk) {
      throw new StageFailure(
        `p95 latency ${round(p95)} ms is over the budget of ${budgets.performance.p95BudgetMs} ms`,
      );
    }

    // Load: C concurrent clients for D seconds.
    const deadline = performance.now() + budgets.load.durationSeconds * 1000;
    let total = 0;
    let errors = 0;
    const loadLatencies: number[] = [];
    const started = performance.now();
    await Promise.all(
      Array.from({ length: budgets.load.concurrency }, async (_, worker) => {
        let i = worker;
        while (performance.now() < deadline && !ctx.signal.aborted) {
          const result = await predict(endpoint, cases[i++ % cases.length].input);
          total++;
          loadLatencies.push(result.latencyMs);
          if (!result.ok) errors++;
        }
      }),
    );
    throwIfAborted(ctx.signal);
    const elapsedSeconds = (performance.now() - started) / 1000;
    const throughput = total / elapsedSeconds;
    const errorRate = total ? (errors / total) * 100 : 100;
    await recorder.metric({
      loadRequests: total,
      throughputRps: round(throughput),
      errorRatePct: round(errorRate),
      loadP95Ms: round(percentile(loadLatencies, 95)),
      loadConcurrency: budgets.load.concurrency,
    });
    const loadOk =
      errorRate <= budgets.load.maxErrorRatePct &&
      throughput >= budgets.load.minThroughputRps;
    await recorder.check(
      'load',
      loadOk,
      `${total} requests at concurrency ${budgets.load.concurrency} for ${round(
        elapsedSeconds,
        1,
      )} s: ${round(throughput)} req/s (min ${budgets.load.minThroughputRps}), error rate ${round(
        errorRate,
      )} % (max ${budgets.load.maxErrorRatePct} %)`,
    );
    if (!loadOk) {
      throw new StageFailure(
        errorRate > budgets.load.maxErrorRatePct
          ? `Error rate under load ${round(errorRate)} % is over ${budgets.load.maxErrorRatePct} %`
          : `Throughput under load ${round(throughput)} req/s is under ${budgets.load.minThroughputRps} req/s`,
      );
    }
  } finally {
    await ctx.runtime
      .undeploy({ model: ctx.model, slot: 'testing' })
      .catch(async error => recorder.error(`tear-down of the testing instance: ${error}`));
  }
}

/** staging: deploy the candidate to the staging slot, check its health and a smoke request. */
export async function runStaging(ctx: StageContext, artifact: FetchedArtifact): Promise<void> {
  const { recorder } = ctx;
  const started = performance.now();
  const { endpoint } = await ctx.runtime.deploy({
    model: ctx.model,
    slot: 'staging',
    artifact: { ...ctx.artifact, version: ctx.version, localPath: artifact.localPath },
    config: ctx.config,
  });
  await recorder.check('deploy', true, `staging at ${endpoint}`, performance.now() - started);
  const health = await ctx.runtime.health({ model: ctx.model, slot: 'staging' });
  const healthy = health.status === 'healthy' && health.version === ctx.version;
  await recorder.check(
    'health',
    healthy,
    `${health.status}, version ${health.version ?? 'unknown'}${health.message ? `: ${health.message}` : ''}`,
  );
  if (!healthy) {
    throw new StageFailure(`Staging is ${health.status}, serving ${health.version ?? 'nothing'}`);
  }
  const smokeInput = artifact.tests?.cases[0]?.input ?? 'smoke test';
  const smoke = await predict(endpoint, smokeInput);
  const smokeOk = smoke.ok && smoke.version === ctx.version;
  await recorder.check(
    'smoke',
    smokeOk,
    smoke.ok
      ? `"${smoke.label}" from version ${smoke.version} in ${round(smoke.latencyMs)} ms`
      : `request failed: ${smoke.error}`,
    smoke.latencyMs,
  );
  if (!smokeOk) {
    throw new StageFailure(`The smoke request to staging failed: ${smoke.error ?? smoke.version}`);
  }
}

/**
 * Sends probes and the production-like verification inputs through the stable production
 * endpoint and checks that they reach `version` and succeed.
 */
export async function verifyProduction(
  ctx: StageContext,
  productionEndpoint: string,
  version: string,
  inputs: string[],
): Promise<void> {
  const { recorder, budgets } = ctx;
  const probes = inputs.length ? inputs : ['verification probe'];
  let wrongVersion = 0;
  for (let i = 0; i < budgets.verification.probes; i++) {
    throwIfAborted(ctx.signal);
    const result = await predict(productionEndpoint, probes[i % probes.length]);
    if (result.version !== version) wrongVersion++;
  }
  await recorder.check(
    'probe-version',
    wrongVersion === 0,
    `${budgets.verification.probes - wrongVersion} of ${budgets.verification.probes} probes answered by ${version}`,
  );
  if (wrongVersion > 0) {
    throw new StageFailure(
      `${wrongVersion} of ${budgets.verification.probes} probes did not reach version ${version}`,
    );
  }
  let errors = 0;
  const failures: string[] = [];
  for (const input of inputs) {
    throwIfAborted(ctx.signal);
    const result = await predict(productionEndpoint, input);
    if (!result.ok) {
      errors++;
      if (failures.length < 3) failures.push(`"${input.slice(0, 60)}": ${result.error}`);
    }
  }
  const errorRate = inputs.length ? (errors / inputs.length) * 100 : 0;
  await recorder.metric({
    verificationRequests: inputs.length,
    verificationErrorRatePct: round(errorRate),
  });
  const ok = errorRate <= budgets.verification.maxErrorRatePct;
  await recorder.check(
    'verification',
    ok,
    `${inputs.length - errors} of ${inputs.length} production-like requests succeeded${
      failures.length ? `; failures: ${failures.join('; ')}` : ''
    }`,
  );
  if (!ok) {
    throw new StageFailure(
      `Production verification failed: error rate ${round(errorRate)} % (max ${budgets.verification.maxErrorRatePct} %)`,
    );
  }
}

/** Deploys `version` into the production slot and moves all traffic to it (recreate). */
export async function deployToProduction(
  ctx: StageContext,
  slot: SlotName,
  version: string,
  artifact: { uri: string; sha256?: string; localPath: string },
): Promise<string> {
  const started = performance.now();
  await ctx.runtime.deploy({
    model: ctx.model,
    slot,
    artifact: { uri: artifact.uri, sha256: artifact.sha256, version, localPath: artifact.localPath },
    config: ctx.config,
  });
  await ctx.runtime.setTraffic({ model: ctx.model, weights: { [slot]: 100 } });
  const description = await ctx.runtime.describe({ model: ctx.model });
  if (!description.productionEndpoint) {
    throw new StageFailure(`Runtime ${ctx.runtime.id} reports no production endpoint`);
  }
  await ctx.recorder.check(
    `deploy ${version}`,
    true,
    `${slot} serves ${version}; traffic 100 % to ${slot} at ${description.productionEndpoint}`,
    performance.now() - started,
  );
  return description.productionEndpoint;
}
