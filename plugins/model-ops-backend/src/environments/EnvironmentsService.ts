import {
  AuditorService,
  AuthService,
  BackstageCredentials,
  LoggerService,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { CompoundEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  DeploymentRun,
  EnvironmentSlot,
  EnvironmentsResponse,
  ModelSpec,
  ModelSpecContext,
  SwitchRecord,
  isModelEntity,
  modelOpsEnvironmentSwitchPermission,
  parseModelSpec,
} from '@model-ops/plugin-model-ops-common';
import { ModelRuntime } from '@model-ops/plugin-model-ops-node';
import { ModelStore } from '../database/ModelStore';
import { Caller, DeploymentsService } from '../deployments/DeploymentsService';
import { HealthLimits, SwitchFailure, TrafficSwitcher } from './TrafficSwitcher';
import { SwitchStore } from './SwitchStore';
import { RunStore } from '../deployments/RunStore';

type Color = 'blue' | 'green';
const COLORS: Color[] = ['blue', 'green'];
const other = (color: Color): Color => (color === 'blue' ? 'green' : 'blue');

/**
 * The blue and green environments of models: what each color runs, manual switches, rollback of
 * the last switch, and stopping idle colors once their warm period is over.
 *
 * @internal
 */
export class EnvironmentsService {
  constructor(
    private readonly deps: {
      catalog: CatalogService;
      auth: AuthService;
      permissions: PermissionsService;
      auditor: AuditorService;
      logger: LoggerService;
      store: ModelStore;
      switches: SwitchStore;
      runs: RunStore;
      switcher: TrafficSwitcher;
      deployments: DeploymentsService;
      specContext: () => ModelSpecContext;
      getRuntime: (id: string) => ModelRuntime | undefined;
      healthLimits: (rules: string) => HealthLimits;
    },
  ) {}

  async get(ref: CompoundEntityRef, credentials: BackstageCredentials): Promise<EnvironmentsResponse> {
    const spec = await this.loadSpec(ref, credentials);
    const [stored, slots, history, canaryRun] = await Promise.all([
      this.deps.store.getModel(spec.modelId),
      this.deps.store.getSlots(spec.modelId),
      this.deps.switches.list(spec.modelId, 20),
      this.deps.runs.latestCanaryRun(spec.modelId),
    ]);
    const runtime = this.deps.getRuntime(spec.runtime);
    const model = { modelId: spec.modelId, entityRef: spec.entityRef };
    const description = stored?.productionVersion
      ? await runtime?.describe({ model }).catch(() => undefined)
      : undefined;
    const colors: EnvironmentSlot[] = [];
    for (const color of COLORS) {
      const slot = slots.find(s => s.slot === color);
      const health =
        slot && slot.state === 'running'
          ? (await runtime?.health({ model, slot: color }).catch(() => undefined))?.status
          : undefined;
      const warmUntil = await this.deps.switches.warmUntil(spec.modelId, color);
      colors.push({
        slot: color,
        version: slot?.version,
        endpoint: slot?.endpoint,
        state: slot?.state ?? 'empty',
        trafficWeight: description?.traffic[color] ?? slot?.trafficWeight ?? 0,
        active: stored?.activeSlot === color,
        health,
        warmUntil: warmUntil?.toISOString(),
      });
    }
    return {
      productionEndpoint: description?.productionEndpoint,
      activeSlot:
        stored?.activeSlot === 'blue' || stored?.activeSlot === 'green'
          ? stored.activeSlot
          : undefined,
      slots: colors,
      history,
      canary: canaryRun?.canary,
    };
  }

  async switch(
    ref: CompoundEntityRef,
    body: { to?: unknown; reason?: unknown },
    caller: Caller,
  ): Promise<SwitchRecord> {
    if (body.to !== undefined && body.to !== 'blue' && body.to !== 'green') {
      throw new InputError('to must be "blue" or "green"');
    }
    if (body.reason !== undefined && (typeof body.reason !== 'string' || body.reason.length > 500)) {
      throw new InputError('reason must be a string of at most 500 characters');
    }
    const spec = await this.loadSpec(ref, caller.credentials);
    return this.audited('environment-switch', spec, caller, { to: (body.to as string) ?? null }, async () => {
      await this.authorize(spec, caller.credentials);
      const stored = await this.deps.store.getModel(spec.modelId);
      const active = stored?.activeSlot;
      if (active !== 'blue' && active !== 'green') {
        throw new ConflictError(`${spec.modelId} has no active color yet; deploy a version first`);
      }
      const to = (body.to as Color | undefined) ?? other(active);
      if (to === active) {
        throw new ConflictError(`${to} is already the active color of ${spec.modelId}`);
      }
      return this.performSwitch(spec, 'switch', active, to, caller, body.reason as string | undefined);
    });
  }

  /**
   * Reverses the last switch: traffic returns to the previous color while it is warm; when it
   * is not, its version is redeployed through the pipeline (a rollback run).
   */
  async rollbackSwitch(
    ref: CompoundEntityRef,
    body: { reason?: unknown },
    caller: Caller,
  ): Promise<SwitchRecord | DeploymentRun> {
    const spec = await this.loadSpec(ref, caller.credentials);
    return this.audited('environment-rollback-switch', spec, caller, {}, async () => {
      await this.authorize(spec, caller.credentials);
      const last = await this.deps.switches.lastSucceeded(spec.modelId);
      if (!last?.from) {
        throw new ConflictError(`${spec.modelId} has no switch to roll back`);
      }
      const stored = await this.deps.store.getModel(spec.modelId);
      if (stored?.activeSlot !== last.to) {
        throw new ConflictError(
          `The last switch of ${spec.modelId} moved traffic to ${last.to}, but ${stored?.activeSlot ?? 'nothing'} is active now`,
        );
      }
      const previous = (await this.deps.store.getSlots(spec.modelId)).find(s => s.slot === last.from);
      const warm =
        previous?.state === 'running' && previous.version === last.fromVersion && previous.version;
      if (warm) {
        return this.performSwitch(
          spec,
          'rollback-switch',
          last.to as Color,
          last.from as Color,
          caller,
          (body.reason as string | undefined) ?? `roll back switch ${last.id}`,
        );
      }
      if (!last.fromVersion) {
        throw new ConflictError(`The previous color of ${spec.modelId} is gone and its version is unknown`);
      }
      // The previous color has been stopped: bring its version back through the pipeline.
      return this.deps.deployments.rollback(ref, { toVersion: last.fromVersion }, caller);
    });
  }

  /** Stops idle colors whose warm period is over (a scheduled task). */
  async stopExpiredWarmColors(): Promise<number> {
    const expired = await this.deps.switches.expiredWarmSlots();
    const credentials = expired.length ? await this.deps.auth.getOwnServiceCredentials() : undefined;
    for (const { modelId, slot } of expired) {
      const stored = await this.deps.store.getModel(modelId);
      if (!stored || stored.activeSlot === slot) continue;
      const result = await this.deps.catalog
        .getEntityByRef(stored.entityRef, { credentials: credentials! })
        .catch(() => undefined);
      const runtimeId =
        (result && isModelEntity(result) && parseModelSpec(result, this.deps.specContext()).spec?.runtime) ||
        'local';
      const runtime = this.deps.getRuntime(runtimeId);
      await runtime
        ?.undeploy({ model: { modelId, entityRef: stored.entityRef }, slot })
        .catch(error => this.deps.logger.warn(`Stopping warm ${slot} of ${modelId} failed: ${error}`));
      await this.deps.switches.clearWarm(modelId, slot);
      this.deps.logger.info(`Stopped the idle ${slot} color of ${modelId}: its warm period is over`);
    }
    return expired.length;
  }

  private async performSwitch(
    spec: ModelSpec,
    kind: 'switch' | 'rollback-switch',
    from: Color,
    to: Color,
    caller: Caller,
    reason?: string,
  ): Promise<SwitchRecord> {
    const slots = await this.deps.store.getSlots(spec.modelId);
    const target = slots.find(s => s.slot === to);
    if (target?.state !== 'running' || !target.version) {
      throw new ConflictError(`${to} runs nothing to switch to; deploy a version first`);
    }
    const runtime = this.deps.getRuntime(spec.runtime);
    if (!runtime) {
      throw new ConflictError(`Runtime ${spec.runtime} is not installed in this backend`);
    }
    const fromVersion = slots.find(s => s.slot === from)?.version;
    try {
      return await this.deps.switcher.switch({
        runtime,
        model: { modelId: spec.modelId, entityRef: spec.entityRef },
        kind,
        from,
        to,
        fromVersion,
        toVersion: target.version,
        limits: this.deps.healthLimits(spec.rules),
        requestedBy: EnvironmentsService.principal(caller.credentials),
        reason,
      });
    } catch (error) {
      if (error instanceof SwitchFailure && error.record) {
        // The switch is recorded with its failure and traffic is back; the caller sees why.
        throw new ConflictError(`${error.message}; traffic stayed on ${from}`);
      }
      throw error;
    }
  }

  private async loadSpec(ref: CompoundEntityRef, credentials: BackstageCredentials): Promise<ModelSpec> {
    const entityRef = stringifyEntityRef(ref);
    const entity = await this.deps.catalog.getEntityByRef(entityRef, { credentials });
    if (!entity) throw new NotFoundError(`No entity ${entityRef} in the catalog`);
    if (!isModelEntity(entity)) {
      throw new NotFoundError(`${entityRef} is not a model: it has no model-ops/model-id annotation`);
    }
    const result = parseModelSpec(entity, this.deps.specContext());
    if (!result.ok || !result.spec) {
      throw new InputError(`${entityRef} has bad annotations: ${result.problems.map(p => p.message).join('; ')}`);
    }
    return result.spec;
  }

  private async authorize(spec: ModelSpec, credentials: BackstageCredentials) {
    const [decision] = await this.deps.permissions.authorize(
      [{ permission: modelOpsEnvironmentSwitchPermission, resourceRef: spec.entityRef }],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(
        `You are not allowed to ${modelOpsEnvironmentSwitchPermission.name} on ${spec.entityRef}`,
      );
    }
  }

  private async audited<T>(
    eventId: string,
    spec: ModelSpec,
    caller: Caller,
    meta: Record<string, string | null>,
    fn: () => Promise<T>,
  ): Promise<T> {
    const event = await this.deps.auditor.createEvent({
      eventId,
      severityLevel: 'medium',
      request: caller.request,
      meta: { entityRef: spec.entityRef, ...meta },
    });
    try {
      const result = await fn();
      await event.success({ meta: { id: (result as { id?: string })?.id ?? null } });
      return result;
    } catch (error) {
      await event.fail({ error: error as Error });
      throw error;
    }
  }

  private static principal(credentials: BackstageCredentials): string | undefined {
    const principal = credentials.principal as { userEntityRef?: string; subject?: string };
    return principal.userEntityRef ?? principal.subject;
  }
}
