import {
  AuditorService,
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import {
  CompoundEntityRef,
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  AuthorizeResult,
  ResourcePermission,
} from '@backstage/plugin-permission-common';
import {
  AvailableVersion,
  CreateDeploymentRequest,
  DEPLOYMENT_STRATEGIES,
  DeploymentRun,
  DeploymentStrategy,
  ListDeploymentsResponse,
  ModelSpec,
  ModelSpecContext,
  SLOT_NAMES,
  STAGE_NAMES,
  SlotName,
  isModelEntity,
  modelOpsDeploymentCreatePermission,
  modelOpsDeploymentRollbackPermission,
  modelOpsEnvironmentSwitchPermission,
  parseModelSpec,
} from '@model-ops/plugin-model-ops-common';
import { ModelRuntime } from '@model-ops/plugin-model-ops-node';
import { randomUUID } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type { Request } from 'express';
import { ModelStore } from '../database/ModelStore';
import { RunStore, StoredRun } from './RunStore';

const VERSION_PATTERN = /^[0-9A-Za-z][0-9A-Za-z._+-]{0,127}$/;
const SHA256_PATTERN = /^[a-f0-9]{64}$/i;

/** Who is asking, and the HTTP request for the audit log. */
export interface Caller {
  credentials: BackstageCredentials;
  request?: Request;
}

/** Strips the worker's lease from a run before it leaves the backend. */
function toApi(run: StoredRun): DeploymentRun {
  const { leaseOwner: _owner, leaseExpiresAt: _expires, ...rest } = run;
  return rest;
}

/**
 * Starting, listing, cancelling and rolling back deployment runs. Every mutation checks the
 * caller's permission on the model's catalog entity and is audited.
 *
 * @internal
 */
export class DeploymentsService {
  constructor(
    private readonly deps: {
      catalog: CatalogService;
      permissions: PermissionsService;
      auditor: AuditorService;
      runs: RunStore;
      models: ModelStore;
      specContext: () => ModelSpecContext;
      /** JSON file listing the artifacts offered in the Deploy dialog, if any. */
      artifactIndexFile?: string;
      /** Wakes the worker so a new run starts at once instead of at the next poll. */
      onRunCreated?: () => void;
      /** The runtime a model names, for reading its slots' logs. */
      getRuntime?: (id: string) => ModelRuntime | undefined;
    },
  ) {}

  async create(body: CreateDeploymentRequest, caller: Caller): Promise<DeploymentRun> {
    const { credentials } = caller;
    const request = DeploymentsService.validateCreate(body);
    const { entity, spec } = await this.loadModel(request.entityRef, credentials, 'entityRef');
    const entityRef = stringifyEntityRef(entity);
    return this.audited(
      'deployment-create',
      { entityRef, version: request.version, artifactUri: request.artifact.uri },
      caller,
      async () => {
        await this.authorize(modelOpsDeploymentCreatePermission, entityRef, credentials);
        const stored = await this.deps.models.getModel(spec.modelId);
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
          createdBy: DeploymentsService.principal(credentials),
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
    const { spec } = await this.loadModel(stringifyEntityRef(ref), credentials);
    const limit = query.limit ?? 20;
    const page = await this.deps.runs.listRuns(spec.modelId, {
      limit,
      cursor: query.cursor,
    });
    return { items: page.items.map(toApi), nextCursor: page.nextCursor };
  }

  async get(id: string, credentials: BackstageCredentials): Promise<DeploymentRun> {
    const run = await this.deps.runs.getRunOrThrow(id);
    // The caller must be able to see the model's entity to see its runs.
    const entity = await this.deps.catalog.getEntityByRef(run.entityRef, { credentials });
    if (!entity) {
      throw new NotFoundError(`No deployment run ${id}`);
    }
    return toApi(run);
  }

  async cancel(id: string, caller: Caller): Promise<DeploymentRun> {
    const { credentials } = caller;
    const run = await this.get(id, credentials);
    return this.audited('deployment-cancel', { runId: id, entityRef: run.entityRef }, caller, async () => {
      await this.authorize(modelOpsDeploymentRollbackPermission, run.entityRef, credentials);
      return toApi(await this.deps.runs.requestCancel(id));
    });
  }

  /** Promotes (switch permission) or aborts (rollback permission) a canary in progress. */
  async canaryCommand(
    id: string,
    command: 'promote' | 'abort',
    caller: Caller,
  ): Promise<DeploymentRun> {
    const run = await this.get(id, caller.credentials);
    return this.audited(
      `canary-${command}`,
      { runId: id, entityRef: run.entityRef },
      caller,
      async () => {
        await this.authorize(
          command === 'promote'
            ? modelOpsEnvironmentSwitchPermission
            : modelOpsDeploymentRollbackPermission,
          run.entityRef,
          caller.credentials,
        );
        const updated = toApi(await this.deps.runs.requestCanaryCommand(id, command));
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
    const { credentials } = caller;
    if (
      body.toVersion !== undefined &&
      (typeof body.toVersion !== 'string' || !VERSION_PATTERN.test(body.toVersion))
    ) {
      throw new InputError('toVersion must be a version string such as "1.0.0"');
    }
    const { entity, spec } = await this.loadModel(stringifyEntityRef(ref), credentials);
    const entityRef = stringifyEntityRef(entity);
    return this.audited(
      'deployment-rollback',
      { entityRef, toVersion: (body.toVersion as string | undefined) ?? null },
      caller,
      async () => {
        await this.authorize(modelOpsDeploymentRollbackPermission, entityRef, credentials);
        const stored = await this.deps.models.getModel(spec.modelId);
        const candidates = (await this.deps.runs.listSucceededVersions(spec.modelId)).filter(
          v => v.version !== stored?.productionVersion,
        );
        const target = body.toVersion
          ? candidates.find(v => v.version === body.toVersion)
          : candidates[0];
        if (!target) {
          throw new ConflictError(
            body.toVersion
              ? `Version ${body.toVersion} of ${spec.modelId} cannot be rolled back to: it never succeeded, or it is the version in production`
              : `${spec.modelId} has no earlier successful version to roll back to`,
          );
        }
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
          createdBy: DeploymentsService.principal(credentials),
          stages: ['validation', 'production'],
        });
        this.deps.onRunCreated?.();
        return toApi(run);
      },
    );
  }

  /** The last lines of a slot's log, newest last, where the model's runtime keeps logs. */
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
    const { spec } = await this.loadModel(stringifyEntityRef(ref), credentials);
    const runtime = this.deps.getRuntime?.(spec.runtime);
    if (!runtime?.logs) {
      throw new NotFoundError(`Runtime ${spec.runtime} keeps no logs for ${spec.modelId}`);
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

  /** The versions the artifact index offers for a model, plus every version that succeeded. */
  async availableVersions(
    ref: CompoundEntityRef,
    credentials: BackstageCredentials,
  ): Promise<AvailableVersion[]> {
    const { spec } = await this.loadModel(stringifyEntityRef(ref), credentials);
    const offered = new Map<string, AvailableVersion>();
    if (this.deps.artifactIndexFile) {
      const index = JSON.parse(await fs.readFile(this.deps.artifactIndexFile, 'utf8'));
      for (const entry of index?.models?.[spec.modelId] ?? []) {
        offered.set(entry.version, {
          version: entry.version,
          uri: entry.uri,
          sha256: entry.sha256,
          summary: entry.summary,
        });
      }
    }
    for (const v of await this.deps.runs.listSucceededVersions(spec.modelId)) {
      if (!offered.has(v.version)) {
        offered.set(v.version, { version: v.version, uri: v.uri, sha256: v.sha256 });
      }
    }
    return [...offered.values()];
  }

  private async loadModel(
    entityRef: string,
    credentials: BackstageCredentials,
    field?: string,
  ): Promise<{ entity: Entity; spec: ModelSpec }> {
    const entity = await this.deps.catalog.getEntityByRef(entityRef, { credentials });
    if (!entity) {
      throw new NotFoundError(`No entity ${entityRef} in the catalog`);
    }
    if (!isModelEntity(entity)) {
      const message = `${entityRef} is not a model: it has no model-ops/model-id annotation`;
      throw field ? new InputError(`${field}: ${message}`) : new NotFoundError(message);
    }
    const result = parseModelSpec(entity, this.deps.specContext());
    if (!result.ok || !result.spec) {
      throw new InputError(
        `${field ? `${field}: ` : ''}${entityRef} has bad annotations and cannot be deployed: ${result.problems
          .map(p => `${p.annotation}: ${p.message}`)
          .join('; ')}`,
      );
    }
    return { entity, spec: result.spec };
  }

  private async authorize(
    permission: ResourcePermission<'catalog-entity'>,
    resourceRef: string,
    credentials: BackstageCredentials,
  ) {
    const [decision] = await this.deps.permissions.authorize(
      [{ permission, resourceRef }],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(
        `You are not allowed to ${permission.name} on ${resourceRef}`,
      );
    }
  }

  private async audited<T>(
    eventId: string,
    meta: Record<string, string | null>,
    caller: Caller,
    fn: () => Promise<T>,
  ): Promise<T> {
    const event = await this.deps.auditor.createEvent({
      eventId,
      severityLevel: 'medium',
      request: caller.request,
      meta,
    });
    try {
      const result = await fn();
      const runId = (result as { id?: string })?.id;
      await event.success({ meta: runId ? { runId } : {} });
      return result;
    } catch (error) {
      await event.fail({ error: error as Error });
      throw error;
    }
  }

  private static principal(credentials: BackstageCredentials): string | undefined {
    const principal = credentials.principal as { type: string; userEntityRef?: string; subject?: string };
    return principal.userEntityRef ?? principal.subject;
  }

  /** Checks a create body, naming the first bad field; nothing is written on failure. */
  static validateCreate(body: unknown): CreateDeploymentRequest {
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      throw new InputError('The request body must be a JSON object');
    }
    const b = body as Record<string, any>;
    if (typeof b.entityRef !== 'string' || b.entityRef === '') {
      throw new InputError('entityRef is required: a full entity ref such as component:default/my-model');
    }
    try {
      const ref = parseEntityRef(b.entityRef);
      b.entityRef = stringifyEntityRef(ref);
    } catch (error) {
      throw new InputError(`entityRef "${b.entityRef}" is not an entity ref: ${(error as Error).message}`);
    }
    if (typeof b.version !== 'string' || !VERSION_PATTERN.test(b.version)) {
      throw new InputError(
        'version is required: letters, digits, ".", "_", "+" or "-", such as "1.1.0"',
      );
    }
    if (!b.artifact || typeof b.artifact !== 'object' || Array.isArray(b.artifact)) {
      throw new InputError('artifact is required: { "uri": "...", "sha256": "..." }');
    }
    if (typeof b.artifact.uri !== 'string' || !/^(file:|https?:\/\/)/i.test(b.artifact.uri)) {
      throw new InputError('artifact.uri must be a file: or http(s):// URI');
    }
    if (typeof b.artifact.sha256 !== 'string' || !SHA256_PATTERN.test(b.artifact.sha256)) {
      throw new InputError('artifact.sha256 must be 64 hexadecimal characters');
    }
    if (
      b.config !== undefined &&
      (typeof b.config !== 'object' || b.config === null || Array.isArray(b.config))
    ) {
      throw new InputError('config must be a JSON object');
    }
    if (
      b.strategy !== undefined &&
      !(DEPLOYMENT_STRATEGIES as readonly string[]).includes(b.strategy)
    ) {
      throw new InputError(`strategy must be one of ${DEPLOYMENT_STRATEGIES.join(', ')}`);
    }
    return {
      entityRef: b.entityRef,
      version: b.version,
      artifact: { uri: b.artifact.uri, sha256: b.artifact.sha256.toLowerCase() },
      config: b.config,
      strategy: b.strategy as DeploymentStrategy | undefined,
    };
  }
}

