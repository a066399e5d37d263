import { predict } from '../../lib/probe';
import { isSwitchFailure } from '../ProductionSwitch';
import { isCancelled } from '../runErrors';
import { throwIfAborted } from '../StageRecorder';
import { deployToSlot, emptySlot, otherColor, recordVersion } from './shared';
import {
  ProductionContext,
  ProductionOutcome,
  ProductionStrategy,
} from './types';

/**
 * Blue-green: deploy to the idle color and check it, then switch traffic (verify, watch health,
 * commit); the old color stays warm for instant rollback. A failed switch has already returned
 * traffic to the old color. A cancel before the commit keeps (or puts back) all traffic on the
 * old color and empties the idle one; the run ends cancelled.
 *
 * @internal
 */
export class BlueGreenStrategy implements ProductionStrategy {
  readonly name = 'blue-green' as const;

  canDeploy(ctx: ProductionContext): boolean {
    return Boolean(ctx.switching && ctx.active && ctx.previousVersion);
  }

  async deploy(ctx: ProductionContext): Promise<ProductionOutcome> {
    try {
      return await this.release(ctx);
    } catch (error) {
      if (!isCancelled(ctx.signal)) throw error;
      const active = ctx.active!;
      const idle = otherColor(active);
      await ctx.runtime.setTraffic({
        model: ctx.model,
        weights: { [active]: 100, [idle]: 0 },
      });
      await emptySlot(ctx, idle);
      await ctx.recorder.check(
        'cancel',
        true,
        `all traffic on ${active} (${ctx.previousVersion}); ${idle} emptied`,
      );
      throw ctx.signal.reason;
    }
  }

  private async release(ctx: ProductionContext): Promise<ProductionOutcome> {
    const { run, recorder } = ctx;
    const active = ctx.active!;
    const previousVersion = ctx.previousVersion!;
    const idle = otherColor(active);
    await recorder.metric({ strategy: 'blue-green', slot: idle });
    const started = performance.now();
    const endpoint = await deployToSlot(ctx, idle);
    const smoke = await predict(
      endpoint,
      ctx.verificationInputs[0] ?? 'smoke test',
    );
    const idleOk = smoke.ok && smoke.version === run.version;
    await recorder.check(
      `deploy ${idle}`,
      idleOk,
      idleOk
        ? `${idle} serves ${run.version} at ${endpoint} (${active} keeps production meanwhile)`
        : `${idle} answered ${smoke.version ?? 'nothing'}: ${
            smoke.error ?? 'wrong version'
          }`,
      performance.now() - started,
    );
    if (!idleOk) {
      await emptySlot(ctx, idle);
      recorder.errors.push(
        `The idle color ${idle} did not serve ${run.version}`,
      );
      return { status: 'failed' };
    }
    await ctx.markSlot(idle, run.version, 'running', 0);
    await ctx.reached('deployed-idle');
    throwIfAborted(ctx.signal);
    try {
      const record = await ctx.switching!.switch({
        runtime: ctx.runtime,
        model: ctx.model,
        kind: 'deployment',
        from: active,
        to: idle,
        fromVersion: previousVersion,
        toVersion: run.version,
        limits: ctx.switching!.healthLimits(run.rules),
        requestedBy: run.createdBy,
        reason: `${run.kind} of ${run.version} (run ${run.id})`,
        runId: run.id,
        onCheck: c =>
          recorder.check(`switch: ${c.name}`, c.ok, c.detail, c.durationMs),
        onStep: step => ctx.reached(step),
        signal: ctx.signal,
      });
      await recorder.metric({ switchMs: record.durationMs ?? 0 });
    } catch (error) {
      // Stopped (cancelled, lease lost, shutting down): nothing more is done here.
      throwIfAborted(ctx.signal);
      if (!isSwitchFailure(error)) throw error;
      recorder.errors.push(error.message);
      await emptySlot(ctx, idle);
      await recordVersion(ctx, 'failed');
      return {
        status:
          error.record?.status === 'rolled_back' ? 'rolled_back' : 'failed',
        previousVersion,
      };
    }
    await ctx.markSlot(idle, run.version, 'running', 100);
    await recordVersion(ctx, 'deployed');
    return { status: 'succeeded', previousVersion };
  }
}
