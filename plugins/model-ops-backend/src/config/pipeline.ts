import { Config } from '@backstage/config';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { findRepoRoot, resolveLocalStateDir } from '../runtimes/local';
import { DEFAULT_BUDGETS, DEFAULT_MAX_ARTIFACT_BYTES } from '../deployments';
import type { PipelineBudgets, PipelineOptions } from '../deployments';

function positive(
  config: Config,
  key: string,
  fallback: number,
  integer = false,
): number {
  const value = config.getOptionalNumber(key);
  if (value === undefined) return fallback;
  if (!(value > 0) || (integer && !Number.isInteger(value))) {
    throw new Error(
      `Invalid value ${value} at modelOps.pipeline ${key}: expected a positive ${
        integer ? 'whole number' : 'number'
      }`,
    );
  }
  return value;
}

function nonNegative(config: Config, key: string, fallback: number): number {
  const value = config.getOptionalNumber(key);
  if (value === undefined) return fallback;
  if (value < 0 || value > 100) {
    throw new Error(
      `Invalid percentage ${value} at modelOps.pipeline ${key}: expected 0 to 100`,
    );
  }
  return value;
}

function readBudgets(
  config: Config | undefined,
  base: PipelineBudgets,
): PipelineBudgets {
  if (!config) return base;
  return {
    performance: {
      requests: positive(
        config,
        'performance.requests',
        base.performance.requests,
        true,
      ),
      p95BudgetMs: positive(
        config,
        'performance.p95BudgetMs',
        base.performance.p95BudgetMs,
      ),
    },
    load: {
      concurrency: positive(
        config,
        'load.concurrency',
        base.load.concurrency,
        true,
      ),
      durationSeconds: positive(
        config,
        'load.durationSeconds',
        base.load.durationSeconds,
      ),
      maxErrorRatePct: nonNegative(
        config,
        'load.maxErrorRatePct',
        base.load.maxErrorRatePct,
      ),
      minThroughputRps: positive(
        config,
        'load.minThroughputRps',
        base.load.minThroughputRps,
      ),
    },
    verification: {
      probes: positive(
        config,
        'verification.probes',
        base.verification.probes,
        true,
      ),
      maxErrorRatePct: nonNegative(
        config,
        'verification.maxErrorRatePct',
        base.verification.maxErrorRatePct,
      ),
    },
  };
}

/** 0 makes a replica that serves the API but executes no runs. */
function readMaxConcurrentRuns(config: Config | undefined): number {
  const value = config?.getOptionalNumber('maxConcurrentRuns') ?? 4;
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(
      `Invalid modelOps.pipeline.maxConcurrentRuns ${value}: expected a whole number, 0 or more`,
    );
  }
  return value;
}

/**
 * `modelOps.artifacts.fileRoots`: the folders `file:` artifacts may come from, relative ones
 * against `fileRoot`; only `fileRoot` itself when absent, none when empty.
 */
function readFileRoots(rootConfig: Config, fileRoot: string): string[] {
  const key = 'modelOps.artifacts.fileRoots';
  if (!rootConfig.has(key)) return [fileRoot];
  return rootConfig
    .getStringArray(key)
    .map(root => path.resolve(fileRoot, root));
}

/** `modelOps.artifacts.maxBytes`, per file and in total. */
function readMaxArtifactBytes(rootConfig: Config): number {
  const key = 'modelOps.artifacts.maxBytes';
  const value = rootConfig.getOptionalNumber(key) ?? DEFAULT_MAX_ARTIFACT_BYTES;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new Error(
      `Invalid ${key} ${value}: expected a whole number of bytes, 1 or more`,
    );
  }
  return value;
}

/**
 * Reads `modelOps.pipeline` and where artifacts may come from (`modelOps.artifacts`). Relative
 * `file:` artifacts resolve against `modelOps.artifacts.fileRoot` (default: the monorepo root);
 * the artifact cache lives in the local runtime's state folder.
 *
 * @internal
 */
export async function readPipelineOptions(
  rootConfig: Config,
  workingDirectory = process.cwd(),
): Promise<PipelineOptions> {
  const config = rootConfig.getOptionalConfig('modelOps.pipeline');
  const defaults = readBudgets(
    config?.getOptionalConfig('budgets'),
    DEFAULT_BUDGETS,
  );
  const perModel = new Map<string, PipelineBudgets>();
  const modelsConfig = config?.getOptionalConfig('models');
  for (const modelId of modelsConfig?.keys() ?? []) {
    perModel.set(
      modelId,
      readBudgets(
        modelsConfig!.getOptionalConfig(`${modelId}.budgets`),
        defaults,
      ),
    );
  }
  const configuredRoot = rootConfig.getOptionalString(
    'modelOps.artifacts.fileRoot',
  );
  const fileRoot = configuredRoot
    ? path.resolve(workingDirectory, configuredRoot)
    : findRepoRoot(workingDirectory);
  const stateDir = resolveLocalStateDir(rootConfig, workingDirectory);
  const verificationFile = config?.getOptionalString('verificationFile');
  let verificationInputs: string[] = [];
  if (verificationFile) {
    const file = path.resolve(fileRoot, verificationFile);
    const parsed = JSON.parse(await fs.readFile(file, 'utf8'));
    const inputs = Array.isArray(parsed)
      ? parsed
      : parsed.inputs ??
        (Array.isArray(parsed.cases)
          ? parsed.cases.map((c: { input?: unknown }) => c?.input)
          : undefined);
    if (!Array.isArray(inputs) || inputs.some(i => typeof i !== 'string')) {
      throw new Error(
        `Invalid modelOps.pipeline.verificationFile ${file}: expected a JSON list of strings, { "inputs": [...] } or { "cases": [{ "input": ... }] } as in tests.json`,
      );
    }
    verificationInputs = inputs;
  }
  return {
    defaults,
    perModel,
    leaseSeconds: config?.getOptionalNumber('leaseSeconds') ?? 30,
    pollIntervalSeconds: config?.getOptionalNumber('pollIntervalSeconds') ?? 2,
    maxConcurrentRuns: readMaxConcurrentRuns(config),
    fileRoot,
    fileRoots: readFileRoots(rootConfig, fileRoot),
    maxArtifactBytes: readMaxArtifactBytes(rootConfig),
    cacheDir: path.join(stateDir, 'artifacts'),
    verificationInputs,
    verificationFile,
  };
}
