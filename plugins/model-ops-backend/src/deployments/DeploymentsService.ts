import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { CompoundEntityRef } from '@backstage/catalog-model';
import {
  AvailableVersion,
  CanaryState,
  CreateDeploymentRequest,
  DeploymentRun,
  ListDeploymentsResponse,
  SlotName,
} from '@model-ops/plugin-model-ops-common';
import { Caller } from '../lib/guard';

/**
 * Starting, listing, cancelling and rolling back deployment runs. Every mutation checks the
 * caller's permission on the model's catalog entity and is audited.
 *
 * @internal
 */
export interface DeploymentsService {
  /** Starts a deploy run (the body is checked field by field; 409 when a run is active). */
  create(body: CreateDeploymentRequest, caller: Caller): Promise<DeploymentRun>;
  list(
    ref: CompoundEntityRef,
    query: { limit?: number; cursor?: string },
    credentials: BackstageCredentials,
  ): Promise<ListDeploymentsResponse>;
  /** A run, for a caller who may see its model's entity. */
  get(id: string, credentials: BackstageCredentials): Promise<DeploymentRun>;
  cancel(id: string, caller: Caller): Promise<DeploymentRun>;
  /** Promotes (switch permission) or aborts (rollback permission) a canary in progress. */
  canaryCommand(
    id: string,
    command: 'promote' | 'abort',
    caller: Caller,
  ): Promise<DeploymentRun>;
  /** Starts a rollback run to `toVersion`, or to the newest earlier version that succeeded. */
  rollback(
    ref: CompoundEntityRef,
    body: { toVersion?: unknown },
    caller: Caller,
  ): Promise<DeploymentRun>;
  /** The versions the artifact index offers for a model, plus every version that succeeded. */
  availableVersions(
    ref: CompoundEntityRef,
    credentials: BackstageCredentials,
  ): Promise<AvailableVersion[]>;
  /** The last lines of a slot's log, newest last, where the model's runtime keeps logs. */
  slotLogs(
    ref: CompoundEntityRef,
    slot: string,
    lines: number,
    credentials: BackstageCredentials,
  ): Promise<{ slot: SlotName; lines: string[] }>;
  /**
   * The canary state of a model's newest canary run, for callers that have already checked
   * that the caller may see the model.
   */
  latestCanary(modelId: string): Promise<CanaryState | undefined>;
  /** The model's run in progress, if any: switches and cooldowns stand aside for it. */
  activeRun(
    modelId: string,
  ): Promise<{ id: string; kind: string; version: string } | undefined>;
}
