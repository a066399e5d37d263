import {
  BackstageCredentials,
  LoggerService,
} from '@backstage/backend-plugin-api';
import { CompoundEntityRef } from '@backstage/catalog-model';
import { ConflictError, InputError } from '@backstage/errors';
import {
  DeploymentRun,
  EnvironmentSlot,
  EnvironmentsResponse,
  ModelSpec,
  SwitchRecord,
  modelOpsEnvironmentSwitchPermission,
} from '@model-ops/plugin-model-ops-common';
import { ModelRuntime } from '@model-ops/plugin-model-ops-node';
import { ActionGuard, Caller, principalOf } from '../lib/guard';
import { ModelIndex, ModelStore, assertDeployable } from '../models';
import {
  EnvironmentsDeployments,
  EnvironmentsService,
} from './EnvironmentsService';
import { SwitchStore } from './SwitchStore';
import { SwitchFailure, TrafficSwitching } from './TrafficSwitching';

type Color = 'blue' | 'green';
const COLORS: Color[] = ['blue', 'green'];
const other = (color: Color): Color => (color === 'blue' ? 'green' : 'blue');

/**
 * The {@link EnvironmentsService} on the model store, the switch history and traffic switching.
 *
 * @internal
 */
export class DefaultEnvironmentsService implements EnvironmentsService {
  constructor(
    private readonly deps: {
      models: ModelIndex;
      store: ModelStore;
      switches: SwitchStore;
      switching: TrafficSwitching;
      deployments: EnvironmentsDeployments;
      guard: ActionGuard;
      logger: LoggerService;
      getRuntime: (id: string) => ModelRuntime | undefined;
    },
  ) {}

  async get(
    ref: CompoundEntityRef,
    credentials: BackstageCredentials,
  ): Promise<EnvironmentsResponse> {
    const { spec } = await this.deps.models.resolve(ref, credentials);
    const [stored, slots, history, canary] = await Promise.all([
      this.deps.store.getModel(spec.modelId),
      this.deps.store.getSlots(spec.modelId),
      this.deps.switches.list(spec.modelId, 20),
      this.deps.deployments.latestCanary(spec.modelId),
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
          ? (
              await runtime
                ?.health({ model, slot: color })
                .catch(() => undefined)
            )?.status
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
      canary,
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
    const reason = this.parseReason(body.reason);
    const requested = body.to as Color | undefined;
    const { spec } = await this.deps.models.resolve(ref, caller.credentials);
    return this.deps.guard.run(
      {
        eventId: 'environment-switch',
        permission: modelOpsEnvironmentSwitchPermission,
        entityRef: spec.entityRef,
        meta: { to: requested ?? null },
      },
      caller,
      async () => {
        assertDeployable(spec, 'switched');
        await this.refuseDuringRun(spec.modelId);
        const active = (await this.deps.store.getModel(spec.modelId))
          ?.activeSlot;
        if (active !== 'blue' && active !== 'green') {
          throw new ConflictError(
            `${spec.modelId} has no active color yet; deploy a version first`,
          );
        }
        const to = requested ?? other(active);
        if (to === active) {
          throw new ConflictError(
            `${to} is already the active color of ${spec.modelId}`,
          );
        }
        return this.performSwitch(spec, 'switch', active, to, caller, reason);
      },
    );
  }

  async rollbackSwitch(
    ref: CompoundEntityRef,
    body: { reason?: unknown },
    caller: Caller,
  ): Promise<SwitchRecord | DeploymentRun> {
    const { spec } = await this.deps.models.resolve(ref, caller.credentials);
    return this.deps.guard.run(
      {
        eventId: 'environment-rollback-switch',
        permission: modelOpsEnvironmentSwitchPermission,
        entityRef: spec.entityRef,
      },
      caller,
      async () => {
        assertDeployable(spec, 'switched back');
        await this.refuseDuringRun(spec.modelId);
        const last = await this.deps.switches.lastSucceeded(spec.modelId);
        if (!last?.from) {
          throw new ConflictError(`${spec.modelId} has no switch to roll back`);
        }
        const stored = await this.deps.store.getModel(spec.modelId);
        if (stored?.activeSlot !== last.to) {
          throw new ConflictError(
            `The last switch of ${spec.modelId} moved traffic to ${
              last.to
            }, but ${stored?.activeSlot ?? 'nothing'} is active now`,
          );
        }
        const previous = (await this.deps.store.getSlots(spec.modelId)).find(
          s => s.slot === last.from,
        );
        const warm =
          previous?.state === 'running' &&
          !!previous.version &&
          previous.version === last.fromVersion;
        if (warm) {
          return this.performSwitch(
            spec,
            'rollback-switch',
            last.to as Color,
            last.from as Color,
            caller,
            (body.reason as string | undefined) ??
              `roll back switch ${last.id}`,
          );
        }
        if (!last.fromVersion) {
          throw new ConflictError(
            `The previous color of ${spec.modelId} is gone and its version is unknown`,
          );
        }
        // The previous color has been stopped: bring its version back through the pipeline.
        return this.deps.deployments.rollback(
          ref,
          { toVersion: last.fromVersion },
          caller,
        );
      },
    );
  }

  async stopExpiredWarmColors(): Promise<number> {
    const expired = await this.deps.switches.expiredWarmSlots();
    for (const { modelId, slot } of expired) {
      const stored = await this.deps.store.getModel(modelId);
      if (!stored || stored.activeSlot === slot) continue;
      // A run deploys into the idle color, which may be this one: it is the run's while it runs.
      if (await this.deps.deployments.activeRun(modelId)) continue;
      const version = (await this.deps.store.getSlots(modelId)).find(
        s => s.slot === slot,
      )?.version;
      const runtimeId =
        (await this.deps.models.get(modelId))?.spec?.runtime ?? 'local';
      await this.deps
        .getRuntime(runtimeId)
        ?.undeploy({ model: { modelId, entityRef: stored.entityRef }, slot })
        .catch(error =>
          this.deps.logger.warn(
            `Stopping warm ${slot} of ${modelId} failed: ${error}`,
          ),
        );
      await this.deps.switches.clearWarm(modelId, slot, version);
      this.deps.logger.info(
        `Stopped the idle ${slot} color of ${modelId}: its warm period is over`,
      );
    }
    return expired.length;
  }

  /** A manual switch would fight the run that is moving the model's traffic: 409 naming it. */
  private async refuseDuringRun(modelId: string): Promise<void> {
    const run = await this.deps.deployments.activeRun(modelId);
    if (run) {
      throw new ConflictError(
        `Run ${run.id} (${run.kind} of ${run.version}) is in progress on ${modelId}; switch when it has finished, or cancel it`,
      );
    }
  }

  private parseReason(reason: unknown): string | undefined {
    if (
      reason !== undefined &&
      (typeof reason !== 'string' || reason.length > 500)
    ) {
      throw new InputError('reason must be a string of at most 500 characters');
    }
    return reason;
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
      throw new ConflictError(
        `${to} runs nothing to switch to; deploy a version first`,
      );
    }
    const runtime = this.deps.getRuntime(spec.runtime);
    if (!runtime) {
      throw new ConflictError(
        `Runtime ${spec.runtime} is not installed in this backend`,
      );
    }
    try {
      return await this.deps.switching.switch({
        runtime,
        model: { modelId: spec.modelId, entityRef: spec.entityRef },
        kind,
        from,
        to,
        fromVersion: slots.find(s => s.slot === from)?.version,
        toVersion: target.version,
        limits: this.deps.switching.healthLimits(spec.rules),
        requestedBy: principalOf(caller.credentials),
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
}
