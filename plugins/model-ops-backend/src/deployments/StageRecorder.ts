import { JsonObject } from '@backstage/types';
import { StageCheck, StageMetrics } from '@model-ops/plugin-model-ops-common';
import {
  ModelRuntime,
  RuntimeModelRef,
} from '@model-ops/plugin-model-ops-node';
import { ArtifactFetcher } from './ArtifactFetcher';
import { PipelineBudgets } from './options';

/**
 * A stage's notebook: what it checked (each check passed or failed, with its detail), what it
 * measured, and the errors that ended it (one line each, not a copy of every failed check).
 * Stages and strategies only write here; the run executor owns the notebook and records it on
 * the run after every change, so the run's page shows progress while the stage works.
 *
 * @internal
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

/**
 * A stage that did not pass; the run stops (or, in production, rolls back).
 *
 * @internal
 */
export class StageFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StageFailure';
  }
}

/**
 * What every stage gets to work with.
 *
 * @internal
 */
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

/**
 * Throws the reason of an aborted run (cancelled, lease lost, shutting down).
 *
 * @internal
 */
export function throwIfAborted(signal: AbortSignal) {
  if (signal.aborted) {
    throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
  }
}
