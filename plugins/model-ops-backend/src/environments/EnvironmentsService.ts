import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { CompoundEntityRef } from '@backstage/catalog-model';
import {
  CanaryState,
  DeploymentRun,
  EnvironmentsResponse,
  SwitchRecord,
} from '@model-ops/plugin-model-ops-common';
import { Caller } from '../lib/guard';

/**
 * The blue and green environments of models: what each color runs, manual switches, and
 * rollback of the last switch. Mutations check `model-ops.environment.switch` on the model's
 * entity and are audited.
 *
 * @internal
 */
export interface EnvironmentsService {
  get(
    ref: CompoundEntityRef,
    credentials: BackstageCredentials,
  ): Promise<EnvironmentsResponse>;
  /** Switches production to `to` (default: the idle color), which must run a version. */
  switch(
    ref: CompoundEntityRef,
    body: { to?: unknown; reason?: unknown },
    caller: Caller,
  ): Promise<SwitchRecord>;
  /**
   * Reverses the last switch: traffic returns to the previous color while it is warm; when it
   * is not, its version is redeployed through the pipeline (a rollback run).
   */
  rollbackSwitch(
    ref: CompoundEntityRef,
    body: { reason?: unknown },
    caller: Caller,
  ): Promise<SwitchRecord | DeploymentRun>;
  /** Stops idle colors whose warm period is over; returns how many there were. */
  stopExpiredWarmColors(): Promise<number>;
}

/**
 * A run that is moving a model's production, as environments names it in a 409.
 *
 * @internal
 */
export interface ActiveRunRef {
  id: string;
  kind: string;
  version: string;
}

/**
 * What environments needs from the deployments capability, declared here so that environments
 * does not import deployments: the deployments service satisfies it.
 *
 * @internal
 */
export interface EnvironmentsDeployments {
  /** The canary state of a model's newest canary run. */
  latestCanary(modelId: string): Promise<CanaryState | undefined>;
  /**
   * The model's run that is pending or running (a canary in progress is one), when there is
   * one: switches, repairs and the cooldown leave the model's traffic and colors to it.
   */
  activeRun(modelId: string): Promise<ActiveRunRef | undefined>;
  /** Starts a rollback run (which checks and audits its own permission). */
  rollback(
    ref: CompoundEntityRef,
    body: { toVersion?: unknown },
    caller: Caller,
  ): Promise<DeploymentRun>;
}
