import {
  SlotName,
  StageCheck,
  SwitchKind,
  SwitchRecord,
} from '@model-ops/plugin-model-ops-common';
import {
  ModelRuntime,
  RuntimeModelRef,
} from '@model-ops/plugin-model-ops-node';

/**
 * Limits the watched traffic must stay within, from the model's rules (warning levels).
 *
 * @internal
 */
export interface HealthLimits {
  maxErrorRatePct: number;
  maxP95Ms: number;
}

/**
 * The steps of a switch, in order, as they are reached.
 *
 * @internal
 */
export type SwitchStep = 'traffic-set' | 'probes-ok' | 'watch-ok' | 'committed';

/**
 * A switch of production traffic from one color to the other.
 *
 * @internal
 */
export interface SwitchRequest {
  runtime: ModelRuntime;
  model: RuntimeModelRef;
  kind: SwitchKind;
  from?: SlotName;
  to: SlotName;
  fromVersion?: string;
  toVersion: string;
  limits: HealthLimits;
  requestedBy?: string;
  reason?: string;
  runId?: string;
  /** Each check as it is made. */
  onCheck?: (check: StageCheck) => Promise<void>;
  /** Each step as it is reached. */
  onStep?: (step: SwitchStep) => Promise<void>;
  /**
   * The run's signal, for a switch a run makes. A cancel (reason named `RunCancelled`) returns
   * traffic to the old color and ends the switch `rolled_back`; any other abort (the run's lease
   * was lost, the backend shuts down) stops the switcher at once without moving traffic and
   * lets the switch's lease run out, so that whoever resumes the run takes it over.
   */
  signal?: AbortSignal;
}

/**
 * A canary whose traffic went back to the stable color, for the switch history.
 *
 * @internal
 */
export interface CanaryAbortRecord {
  modelId: string;
  from: SlotName;
  to: SlotName;
  fromVersion?: string;
  toVersion?: string;
  runId?: string;
  reason: string;
}

/**
 * Moving production traffic between a model's colors: set the weights, verify that probes reach
 * the new version, watch health, then commit the new active color; on a failed step traffic
 * returns and a {@link SwitchFailure} is thrown. Every switch is recorded in the history.
 *
 * @internal
 */
export interface TrafficSwitching {
  switch(request: SwitchRequest): Promise<SwitchRecord>;
  recordAbort(request: CanaryAbortRecord): Promise<SwitchRecord>;
  /**
   * Waits until no switch of the model is in progress, taking over and reverting those whose
   * owner is gone (for a resumed run, whose earlier owner may have died mid-switch). Throws when
   * one is still held by a live owner after two lease periods.
   */
  settle(request: {
    runtime: ModelRuntime;
    model: RuntimeModelRef;
  }): Promise<void>;
  /** The switches a run made, newest first. */
  ofRun(modelId: string, runId: string): Promise<SwitchRecord[]>;
  /** The limits of a named rule set (the `default` set's when it has no such set). */
  healthLimits(rules: string): HealthLimits;
}

/**
 * A switch that did not hold; traffic was returned to the old color (`record.status` is
 * `rolled_back`) or could not be (`failed`).
 *
 * @internal
 */
export class SwitchFailure extends Error {
  constructor(message: string, readonly record?: SwitchRecord) {
    super(message);
    this.name = 'SwitchFailure';
  }
}
