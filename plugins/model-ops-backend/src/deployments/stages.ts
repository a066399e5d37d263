/**
 * The stages before production: validation, testing and staging. Each one returns what the next
 * needs and notes its checks and figures in the recorder; a StageFailure ends the run.
 */
import Ajv from 'ajv';
import { predict, probe, round } from '../lib/probe';
import { ArtifactError, FetchedArtifact } from './ArtifactFetcher';
import { StageContext, StageFailure, throwIfAborted } from './StageRecorder';

const ajv = new Ajv({ allErrors: true, strict: false });

/**
 * validation: fetch the artifact and verify its checksums, validate the deployment config
 * against the runtime's schema, and check that the runtime can serve the model's format.
 *
 * @internal
 */
export async function runValidation(
  ctx: StageContext,
): Promise<FetchedArtifact> {
  const { recorder } = ctx;
  if (!ctx.artifact.sha256) {
    await recorder.check(
      'checksum',
      false,
      'no sha256 was given for the artifact',
    );
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
      await recorder.check(
        error.check,
        false,
        error.message,
        performance.now() - started,
      );
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
  await recorder.check(
    'checksum',
    true,
    `manifest sha256 ${fetched.manifestSha256}`,
  );

  const validate = ajv.compile(ctx.runtime.configSchema);
  if (!validate(ctx.config)) {
    const detail = (validate.errors ?? [])
      .map(e => `config${e.instancePath} ${e.message}`)
      .join('; ');
    await recorder.check('config-schema', false, detail);
    throw new StageFailure(
      `The deployment config does not fit runtime ${ctx.runtime.id}: ${detail}`,
    );
  }
  await recorder.check(
    'config-schema',
    true,
    `valid for runtime ${ctx.runtime.id}`,
  );

  const format = String(fetched.model.format ?? '');
  if (!ctx.runtime.frameworks.includes(format)) {
    const detail = `runtime ${
      ctx.runtime.id
    } serves ${ctx.runtime.frameworks.join(', ')}; the artifact is "${
      format || 'unknown'
    }"`;
    await recorder.check('dependencies', false, detail);
    throw new StageFailure(detail);
  }
  await recorder.check(
    'dependencies',
    true,
    `${format} (${String(
      fetched.model.framework ?? 'unknown framework',
    )}) is served by ${ctx.runtime.id}`,
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
 *
 * @internal
 */
export async function runTesting(
  ctx: StageContext,
  artifact: FetchedArtifact,
): Promise<void> {
  const { recorder, budgets } = ctx;
  const cases = artifact.tests?.cases ?? [];
  if (cases.length === 0) {
    await recorder.check(
      'functional',
      false,
      'the artifact ships no tests.json cases',
    );
    throw new StageFailure('The artifact ships no functional test cases');
  }
  const deployStarted = performance.now();
  const { endpoint } = await ctx.runtime.deploy({
    model: ctx.model,
    slot: 'testing',
    artifact: {
      ...ctx.artifact,
      version: ctx.version,
      localPath: artifact.localPath,
    },
    config: ctx.config,
  });
  await recorder.check(
    'instance',
    true,
    `ephemeral instance at ${endpoint}`,
    performance.now() - deployStarted,
  );
  try {
    // Functional.
    let failed = 0;
    for (const testCase of cases) {
      throwIfAborted(ctx.signal);
      const result = await predict(endpoint, testCase.input);
      const name = `functional: ${
        testCase.name ?? testCase.input.slice(0, 40)
      }`;
      if (!result.ok) {
        failed++;
        await recorder.check(
          name,
          false,
          `request failed: ${result.error}`,
          result.latencyMs,
        );
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
    await recorder.metric({
      functionalPassed: cases.length - failed,
      functionalFailed: failed,
    });
    if (failed > 0) {
      throw new StageFailure(
        `${failed} of ${cases.length} functional cases failed`,
      );
    }

    // Performance: sequential requests, p95 against the budget.
    const inputs = cases.map(c => c.input);
    const performanceRun = await probe({
      endpoint,
      inputs,
      count: budgets.performance.requests,
      signal: ctx.signal,
    });
    throwIfAborted(ctx.signal);
    const { p50Ms: p50, p95Ms: p95, errors: perfErrors } = performanceRun;
    await recorder.metric({
      p50Ms: round(p50),
      p95Ms: round(p95),
      p95BudgetMs: budgets.performance.p95BudgetMs,
      performanceRequests: performanceRun.requests,
    });
    const perfOk = p95 <= budgets.performance.p95BudgetMs && perfErrors === 0;
    await recorder.check(
      'performance',
      perfOk,
      `p95 ${round(p95)} ms over ${performanceRun.requests} requests (budget ${
        budgets.performance.p95BudgetMs
      } ms)${perfErrors ? `, ${perfErrors} errors` : ''}`,
    );
    if (!perfOk) {
      throw new StageFailure(
        `p95 latency ${round(p95)} ms is over the budget of ${
          budgets.performance.p95BudgetMs
        } ms`,
      );
    }

    // Load: C concurrent clients for D seconds.
    const load = await probe({
      endpoint,
      inputs,
      durationMs: budgets.load.durationSeconds * 1000,
      concurrency: budgets.load.concurrency,
      signal: ctx.signal,
    });
    throwIfAborted(ctx.signal);
    const total = load.requests;
    const elapsedSeconds = load.elapsedMs / 1000;
    const throughput = load.throughputRps;
    // No answer at all under load is as bad as it gets.
    const errorRate = total ? load.errorRatePct : 100;
    await recorder.metric({
      loadRequests: total,
      throughputRps: round(throughput),
      errorRatePct: round(errorRate),
      loadP95Ms: round(load.p95Ms),
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
      )} s: ${round(throughput)} req/s (min ${
        budgets.load.minThroughputRps
      }), error rate ${round(errorRate)} % (max ${
        budgets.load.maxErrorRatePct
      } %)`,
    );
    if (!loadOk) {
      throw new StageFailure(
        errorRate > budgets.load.maxErrorRatePct
          ? `Error rate under load ${round(errorRate)} % is over ${
              budgets.load.maxErrorRatePct
            } %`
          : `Throughput under load ${round(throughput)} req/s is under ${
              budgets.load.minThroughputRps
            } req/s`,
      );
    }
  } finally {
    await ctx.runtime
      .undeploy({ model: ctx.model, slot: 'testing' })
      .catch(async error =>
        recorder.error(`tear-down of the testing instance: ${error}`),
      );
  }
}

/**
 * staging: deploy the candidate to the staging slot, check its health and a smoke request.
 *
 * @internal
 */
export async function runStaging(
  ctx: StageContext,
  artifact: FetchedArtifact,
): Promise<void> {
  const { recorder } = ctx;
  const started = performance.now();
  const { endpoint } = await ctx.runtime.deploy({
    model: ctx.model,
    slot: 'staging',
    artifact: {
      ...ctx.artifact,
      version: ctx.version,
      localPath: artifact.localPath,
    },
    config: ctx.config,
  });
  await recorder.check(
    'deploy',
    true,
    `staging at ${endpoint}`,
    performance.now() - started,
  );
  const health = await ctx.runtime.health({
    model: ctx.model,
    slot: 'staging',
  });
  const healthy = health.status === 'healthy' && health.version === ctx.version;
  await recorder.check(
    'health',
    healthy,
    `${health.status}, version ${health.version ?? 'unknown'}${
      health.message ? `: ${health.message}` : ''
    }`,
  );
  if (!healthy) {
    throw new StageFailure(
      `Staging is ${health.status}, serving ${health.version ?? 'nothing'}`,
    );
  }
  const smokeInput = artifact.tests?.cases[0]?.input ?? 'smoke test';
  const smoke = await predict(endpoint, smokeInput);
  const smokeOk = smoke.ok && smoke.version === ctx.version;
  await recorder.check(
    'smoke',
    smokeOk,
    smoke.ok
      ? `"${smoke.label}" from version ${smoke.version} in ${round(
          smoke.latencyMs,
        )} ms`
      : `request failed: ${smoke.error}`,
    smoke.latencyMs,
  );
  if (!smokeOk) {
    throw new StageFailure(
      `The smoke request to staging failed: ${smoke.error ?? smoke.version}`,
    );
  }
}
