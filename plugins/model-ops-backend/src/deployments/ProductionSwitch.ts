/**
 * What the pipeline needs from traffic switching, declared here so that deployments does not
 * import environments: the environments capability's switching service satisfies it as it is.
 */
import {
  SlotName,
  StageCheck,
  SwitchKind,
} from '@model-ops/plugin-model-ops-common';
import {
  ModelRuntime,
  RuntimeModelRef,
} from '@model-ops/plugin-model-ops-node';

/**
 * The named steps of the production stage, in order, recorded on the run as they are reached
 * so that a resumed run can tell how far production got.
 *
 * @internal
 */
export const PRODUCTION_STEPS = [
  'deployed-idle',
  'traffic-set',
  'probes-ok',
  'watch-ok',
  'committed',
] as const;

/**
 * One of {@link PRODUCTION_STEPS}.
 *
 * @internal
 */
export type ProductionStep = (typeof PRODUCTION_STEPS)[number];

/**
 * Limits the watched traffic must stay within: the warning levels of the model's rules.
 *
 * @internal
 */
export interface ProductionHealthLimits {
  maxErrorRatePct: number;
  maxP95Ms: number;
}

/**
 * A switch of production traffic that the pipeline asks for.
 *
 * @internal
 */
export interface ProductionSwitchRequest {
  runtime: ModelRuntime;
  model: RuntimeModelRef;
  kind: SwitchKind;
  from: SlotName;
  to: SlotName;
  fromVersion?: string;
  toVersion: string;
  limits: ProductionHealthLimits;
  requestedBy?: string;
  reason?: string;
  runId?: string;
  /** Each check of the switch as it is made, for the stage's notebook. */
  onCheck?: (check: StageCheck) => Promise<void>;
  /** Each step of the switch as it is reached. */
  onStep?: (step: Exclude<ProductionStep, 'deployed-idle'>) => Promise<void>;
  /**
   * The run's signal: a cancel reverts the switch, a lost lease or a shutdown stops it without
   * moving traffic and leaves it to whoever resumes the run.
   */
  signal?: AbortSignal;
}

/**
 * Traffic switching as the production strategies use it. `switch` sets the traffic, verifies,
 * watches and commits the new active color, or throws a switch failure (see
 * {@link isSwitchFailure}) after returning traffic to the old color.
 *
 * @internal
 */
export interface ProductionSwitch {
  /** The health limits of a rule set, for the watch after a switch and canary analyses. */
  healthLimits(rules: string): ProductionHealthLimits;
  switch(request: ProductionSwitchRequest): Promise<{ durationMs?: number }>;
  /**
   * Waits until no switch of the model is in progress, reverting those whose owner is gone: a
   * resumed run calls it first, since its earlier owner may have died mid-switch.
   */
  settle(request: {
    runtime: ModelRuntime;
    model: RuntimeModelRef;
  }): Promise<void>;
  /** The switches a run made, newest first, with how each ended. */
  ofRun(
    modelId: string,
    runId: string,
  ): Promise<Array<{ status: string; to: SlotName; toVersion?: string }>>;
  /** Records in the switch history that a canary's traffic went back to the stable color. */
  recordAbort(request: {
    modelId: string;
    from: SlotName;
    to: SlotName;
    fromVersion?: string;
    toVersion?: string;
    runId?: string;
    reason: string;
  }): Promise<unknown>;
}

/**
 * A switch that did not hold, with the recorded switch when there is one.
 *
 * @internal
 */
export interface ProductionSwitchFailure extends Error {
  record?: { status: string };
}

/**
 * Whether an error is the switching service's failure of a switch. Told by the error's name,
 * as Backstage tells its errors apart, so that no class has to be shared across capabilities.
 *
 * @internal
 */
export function isSwitchFailure(
  error: unknown,
): error is ProductionSwitchFailure {
  return error instanceof Error && error.name === 'SwitchFailure';
}
