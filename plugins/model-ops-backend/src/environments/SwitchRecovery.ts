import { LoggerService } from '@backstage/backend-plugin-api';
import {
  SlotName,
  StageCheck,
  SwitchRecord,
} from '@model-ops/plugin-model-ops-common';
import { ModelRuntime } from '@model-ops/plugin-model-ops-node';
import { SwitchStore, TakenOverSwitch } from './SwitchStore';

/**
 * The runtime a model's traffic is moved on, or undefined when this backend has none for it.
 *
 * @internal
 */
export type RuntimeOf = (
  modelId: string,
  entityRef: string,
) => Promise<ModelRuntime | undefined>;

/**
 * Ends the switches whose owner is gone. A switch in progress has not moved the active color
 * (only its commit does, in the same transaction that closes it), so the recorded active color
 * is still what production should serve: the taker returns all traffic to it and records the
 * switch as `rolled_back`, "taken over by X: reverted". When the runtime cannot be reached the
 * switch stays in progress with its lease run out, and the next pass tries again.
 *
 * @internal
 */
export class SwitchRecovery {
  constructor(
    private readonly deps: {
      switches: SwitchStore;
      logger: LoggerService;
      owner: string;
      leaseSeconds: number;
      now?: () => Date;
    },
  ) {}

  /** Takes over and reverts the expired switches (of one model, or of all); returns them. */
  async recoverExpired(options: {
    runtimeOf: RuntimeOf;
    modelId?: string;
  }): Promise<SwitchRecord[]> {
    const { switches, owner, leaseSeconds } = this.deps;
    const taken = await switches.takeOverExpired({
      owner,
      leaseSeconds,
      modelId: options.modelId,
    });
    const recovered: SwitchRecord[] = [];
    for (const intent of taken) {
      const record = await this.revert(intent, options.runtimeOf).catch(
        async error => {
          this.deps.logger.warn(
            `Could not revert switch ${intent.record.id} of ${intent.record.modelId}: ${error}`,
          );
          // Let the lease run out at once, so that the next pass retries.
          await switches.renew(intent.record.id, owner, 0).catch(() => false);
          return undefined;
        },
      );
      if (record) recovered.push(record);
    }
    return recovered;
  }

  private async revert(
    intent: TakenOverSwitch,
    runtimeOf: RuntimeOf,
  ): Promise<SwitchRecord> {
    const { switches, owner } = this.deps;
    const { record } = intent;
    const previous = intent.previousOwner ?? 'an owner that recorded no name';
    const active = await switches.activeColor(record.modelId);
    const checks = [...record.checks];
    if (active?.slot !== 'blue' && active?.slot !== 'green') {
      checks.push(this.check(false, 'no color was active to return to'));
      await switches.fail(record.id, {
        status: 'failed',
        error: `taken over by ${owner}: nothing was active to return to (${previous} stopped renewing its lease)`,
        checks,
        owner,
      });
      return (await switches.get(record.id))!;
    }
    const { entityRef } = active;
    const runtime = await runtimeOf(record.modelId, entityRef);
    if (!runtime) {
      throw new Error(`no runtime for ${record.modelId} in this backend`);
    }
    const weights = { [active.slot]: 100, [other(active.slot)]: 0 };
    await runtime.setTraffic({
      model: { modelId: record.modelId, entityRef },
      weights,
    });
    checks.push(
      this.check(
        true,
        `traffic returned to ${active.slot} (${
          active.version ?? 'unknown version'
        }), the recorded active color`,
      ),
    );
    await switches.fail(record.id, {
      status: 'rolled_back',
      error: `taken over by ${owner}: reverted (${previous} stopped renewing its lease)`,
      checks,
      owner,
    });
    this.deps.logger.info(
      `Took over switch ${record.id} of ${record.modelId} from ${previous} and returned traffic to ${active.slot}`,
    );
    return (await switches.get(record.id))!;
  }

  private check(ok: boolean, detail: string): StageCheck {
    return {
      name: 'takeover',
      ok,
      detail,
      at: (this.deps.now?.() ?? new Date()).toISOString(),
    };
  }
}

function other(slot: SlotName): SlotName {
  return slot === 'blue' ? 'green' : 'blue';
}
