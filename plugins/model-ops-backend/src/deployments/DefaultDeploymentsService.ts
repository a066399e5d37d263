import { BackstageCredentials } from '@backstage/backend-plugin-api';
import { CompoundEntityRef } from '@backstage/catalog-model';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import {
  AvailableVersion,
  CanaryState,
  CreateDeploymentRequest,
  DeploymentRun,
  ListDeploymentsResponse,
  SLOT_NAMES,
  STAGE_NAMES,
  SlotName,
  modelOpsDeploymentCreatePermission,
  modelOpsDeploymentRollbackPermission,
  modelOpsEnvironmentSwitchPermission,
} from '@model-ops/plugin-model-ops-common';
import { ModelRuntime } from '@model-ops/plugin-model-ops-node';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { ActionGuard, Caller, principalOf } from '../lib/guard';
import {
  ModelIndex,
  ModelStore,
  ResolvedModel,
  assertDeployable,
} from '../models';
import { DeploymentsService } from './DeploymentsService';
import { parseCreateDeploymentRequest, parseToVersion } from './requests';
import { RunStore, StoredRun } from './RunStore';

/** Strips the worker's lease from a run before it leaves the backend. */
function toApi(run: StoredRun): DeploymentRun {
  const { leaseOwner: _owner, leaseExpiresAt: _expires, ...rest } = run;
  return rest;
}

type ArtifactIndexEntry = {
  version: string;
  uri: string;
  sha256?: string;
  summary?: string;
};

/**
 * The {@link DeploymentsService} on the run store: runs are written here as pending and
 * executed by the pipeline worker, which `onRunCreated` wakes.
 *
 * @internal
 */
export class DefaultDeploymentsService implements DeploymentsService {
  constructor(
    private readonly deps: {
      models: ModelIndex;
      store: ModelStore;
      runs: RunStore;
      guard: ActionGuard;
      /** JSON file listing the artifacts offered in the Deploy dialog, if any. */
      artifactIndexFile?: string;
      /** Wakes the worker so a new run starts at once instead of at the next poll. */
      onRunCreated?: () => void;
      /** The runtime a model names, for reading its slots' logs. */
      getRuntime?: (id: string) => ModelRuntime | undefined;
      /**
       * Refuses an artifact source before its run is written (an InputError naming
       * `artifact.uri`): the scheme, the file roots, the hosts the URL reader may read.
       */
      checkArtifact: (uri: string) => Promise<void>;
    },
  ) {}

  async create(
    body: CreateDeploymentRequest,
    caller: Caller,
  ): Promise<DeploymentRun> {
    const request = parseCreateDeploymentRequest(body);
    const { entityRef, spec } = await this.resolve(
      request.entityRef,
      caller.credentials,
      'entityRef',
    );
    return this.deps.guard.run(
      {
        eventId: 'deployment-create',
        permission: modelOpsDeploymentCreatePermission,
        entityRef,
        meta: { version: request.version, artifactUri: request.artifact.uri },
      },
      caller,
      async () => {
        assertDeployable(spec, 'deployed');
        await this.deps.checkArtifact(request.artifact.uri);
        const stored = await this.deps.store.getModel(spec.modelId);
        const run = await this.deps.runs.createRun({
          id: randomUUID(),
          modelId: spec.modelId,
          entityRef,
          kind: 'deploy',
          version: request.version,
          artifact: request.artifact,
          config: request.config ?? {},
          strategy: request.strategy ?? spec.strategy,
          runtime: spec.runtime,
          rules: spec.rules,
          previousVersion: stored?.productionVersion,
          createdBy: principalOf(caller.credentials),
          stages: [...STAGE_NAMES],
        });
        this.deps.onRunCreated?.();
        return toApi(run);
      },
    );
  }

  async list(
    ref: CompoundEntityRef,
    query: { limit?: number; cursor?: string },
    credentials: BackstageCredentials,
  ): Promise<ListDeploymentsResponse> {
    const { spec } = await this.resolve(ref, credentials);
    const page = await this.deps.runs.listRuns(spec.modelId, {
      limit: query.limit ?? 20,
      cursor: query.cursor,
    });
    return { items: page.items.map(toApi), nextCursor: page.nextCursor };
  }

  async get(
    id: string,
    credentials: BackstageCredentials,
  ): Promise<DeploymentRun> {
    const run = await this.deps.runs.getRunOrThrow(id);
    // The caller must be able to see the model's entity to see its runs.
    if (!(await this.deps.models.getVisible(run.entityRef, credentials))) {
      throw new NotFoundError(`No deployment run ${id}`);
    }
    return toApi(run);
  }

  async cancel(id: string, caller: Caller): Promise<DeploymentRun> {
    const run = await this.get(id, caller.credentials);
    return this.deps.guard.run(
      {
        eventId: 'deployment-cancel',
        permission: modelOpsDeploymentRollbackPermission,
        entityRef: run.entityRef,
        meta: { runId: id },
      },
      caller,
      async () => toApi(await this.deps.runs.requestCancel(id)),
    );
  }

  async canaryCommand(
    id: string,
    command: 'promote' | 'abort',
    caller: Caller,
  ): Promise<DeploymentRun> {
    const run = await this.get(id, caller.credentials);
    return this.deps.guard.run(
      {
        eventId: `canary-${command}`,
        permission:
          command === 'promote'
            ? modelOpsEnvironmentSwitchPermission
            : modelOpsDeploymentRollbackPermission,
        entityRef: run.entityRef,
        meta: { runId: id },
      },
      caller,
      async () => {
        const updated = toApi(
          await this.deps.runs.requestCanaryCommand(id, command),
        );
        this.deps.onRunCreated?.();
        return updated;
      },
    );
  }

  async rollback(
    ref: CompoundEntityRef,
    body: { toVersion?: unknown },
    caller: Caller,
  ): Promise<DeploymentRun> {
    const toVersion = parseToVersion(body.toVersion);
    const { entityRef, spec } = await this.resolve(ref, caller.credentials);
    return this.deps.guard.run(
      {
        eventId: 'deployment-rollback',
        permission: modelOpsDeploymentRollbackPermission,
        entityRef,
        meta: { toVersion: toVersion ?? null },
      },
      caller,
      async () => {
        assertDeployable(spec, 'rolled back');
        const stored = await this.deps.store.getModel(spec.modelId);
        const candidates = (
          await this.deps.runs.listSucceededVersions(spec.modelId)
        ).filter(v => v.version !== stored?.productionVersion);
        const target = toVersion
          ? candidates.find(v => v.version === toVersion)
          : candidates[0];
        if (!target) {
          throw new ConflictError(
            toVersion
              ? `Version ${toVersion} of ${spec.modelId} cannot be rolled back to: it never succeeded, or it is the version in production`
              : `${spec.modelId} has no earlier successful version to roll back to`,
          );
        }
        await this.checkRollbackArtifact(target.version, target.uri);
        const run = await this.deps.runs.createRun({
          id: randomUUID(),
          modelId: spec.modelId,
          entityRef,
          kind: 'rollback',
          version: target.version,
          artifact: { uri: target.uri, sha256: target.sha256 },
          config: {},
          strategy: spec.strategy,
          runtime: spec.runtime,
          rules: spec.rules,
          previousVersion: stored?.productionVersion,
          createdBy: principalOf(caller.credentials),
          stages: ['validation', 'production'],
        });
        this.deps.onRunCreated?.();
        return toApi(run);
      },
    );
  }

  /** A version's artifact that was fine once may have left the configured sources since. */
  private async checkRollbackArtifact(
    version: string,
    uri: string,
  ): Promise<void> {
    try {
      await this.deps.checkArtifact(uri);
    } catch (error) {
      if (error instanceof InputError) {
        throw new InputError(
          `Version ${version} cannot be rolled back to: ${error.message}`,
        );
      }
      throw error;
    }
  }

  async slotLogs(
    ref: CompoundEntityRef,
    slot: string,
    lines: number,
    credentials: BackstageCredentials,
  ): Promise<{ slot: SlotName; lines: string[] }> {
    if (!(SLOT_NAMES as readonly string[]).includes(slot)) {
      throw new InputError(`slot must be one of ${SLOT_NAMES.join(', ')}`);
    }
    if (!Number.isInteger(lines) || lines < 1 || lines > 1000) {
      throw new InputError('lines must be a whole number from 1 to 1000');
    }
    const { spec } = await this.resolve(ref, credentials);
    const runtime = this.deps.getRuntime?.(spec.runtime);
    if (!runtime?.logs) {
      throw new NotFoundError(
        `Runtime ${spec.runtime} keeps no logs for ${spec.modelId}`,
      );
    }
    return {
      slot: slot as SlotName,
      lines: await runtime.logs({
        model: { modelId: spec.modelId, entityRef: spec.entityRef },
        slot: slot as SlotName,
        lines,
      }),
    };
  }

  async availableVersions(
    ref: CompoundEntityRef,
    credentials: BackstageCredentials,
  ): Promise<AvailableVersion[]> {
    const { spec } = await this.resolve(ref, credentials);
    const offered = new Map<string, AvailableVersion>();
    for (const entry of await this.readArtifactIndex(spec.modelId)) {
      offered.set(entry.version, {
        version: entry.version,
        uri: entry.uri,
        sha256: entry.sha256,
        summary: entry.summary,
      });
    }
    for (const v of await this.deps.runs.listSucceededVersions(spec.modelId)) {
      if (!offered.has(v.version)) {
        offered.set(v.version, {
          version: v.version,
          uri: v.uri,
          sha256: v.sha256,
        });
      }
    }
    return [...offered.values()];
  }

  async activeRun(
    modelId: string,
  ): Promise<{ id: string; kind: string; version: string } | undefined> {
    const run = await this.deps.runs.getActiveRun(modelId);
    return run
      ? { id: run.id, kind: run.kind, version: run.version }
      : undefined;
  }

  async latestCanary(modelId: string): Promise<CanaryState | undefined> {
    return (await this.deps.runs.latestCanaryRun(modelId))?.canary;
  }

  private async readArtifactIndex(
    modelId: string,
  ): Promise<ArtifactIndexEntry[]> {
    if (!this.deps.artifactIndexFile) {
      return [];
    }
    const index = JSON.parse(
      await fs.readFile(this.deps.artifactIndexFile, 'utf8'),
    );
    return index?.models?.[modelId] ?? [];
  }

  /** Every deployment route reports a model with bad annotations as one that cannot be deployed. */
  private resolve(
    ref: CompoundEntityRef | string,
    credentials: BackstageCredentials,
    field?: string,
  ): Promise<ResolvedModel> {
    return this.deps.models.resolve(ref, credentials, {
      field,
      purpose: 'cannot be deployed',
    });
  }
}
