import { SlotName } from '@model-ops/plugin-model-ops-common';
import { RunCancelled, isCancelled } from '../runErrors';
import { ProductionContext } from './types';

/**
 * Deploys the run's version to a slot that takes no traffic yet and returns its endpoint.
 *
 * @internal
 */
export async function deployToSlot(
  ctx: ProductionContext,
  slot: SlotName,
): Promise<string> {
  await ctx.markSlot(slot, ctx.run.version, 'starting', 0);
  const { endpoint } = await ctx.runtime.deploy({
    model: ctx.model,
    slot,
    artifact: {
      ...ctx.run.artifact,
      version: ctx.run.version,
      localPath: ctx.fetched.localPath,
    },
    config: ctx.config,
  });
  return endpoint;
}

/**
 * Stops a slot the run put its version in and shows it empty; a slot that is already gone is
 * not an error.
 *
 * @internal
 */
export async function emptySlot(
  ctx: ProductionContext,
  slot: SlotName,
): Promise<void> {
  await ctx.runtime.undeploy({ model: ctx.model, slot }).catch(() => undefined);
  await ctx.markSlot(slot, undefined, 'empty', 0);
}

/**
 * Stores how the run's version fared: deployed (now in production) or failed.
 *
 * @internal
 */
export async function recordVersion(
  ctx: ProductionContext,
  status: 'deployed' | 'failed',
): Promise<void> {
  const { run } = ctx;
  await ctx.models.upsertVersion(run.modelId, {
    version: run.version,
    artifactUri: run.artifact.uri,
    sha256: run.artifact.sha256,
    status,
    ...(status === 'deployed'
      ? { lastDeployedAt: ctx.now().toISOString() }
      : {}),
  });
}

/**
 * The color that is not `active`.
 *
 * @internal
 */
export function otherColor(active: 'blue' | 'green'): 'blue' | 'green' {
  return active === 'blue' ? 'green' : 'blue';
}

/**
 * Finishes what a strategy does after its commit, for a run resumed once its version was already
 * live in `slot`: the slot shows all traffic, the version counts as deployed, a canary as
 * promoted. Every step is safe to repeat.
 *
 * @internal
 */
export async function completeCommitted(
  ctx: ProductionContext,
  slot: 'blue' | 'green',
): Promise<void> {
  await ctx.markSlot(slot, ctx.run.version, 'running', 100);
  await recordVersion(ctx, 'deployed');
  if (ctx.run.canary && ctx.run.canary.runId === ctx.run.id) {
    await ctx.saveCanary({
      ...ctx.run.canary,
      status: 'promoted',
      weight: 100,
    });
  }
  await ctx.reached('committed');
}

/**
 * After a strategy put production back because the run was cancelled: ends the strategy with
 * the cancel, so that the run ends `cancelled` (and not failed or rolled back).
 *
 * @internal
 */
export function throwIfCancelled(ctx: ProductionContext): void {
  if (isCancelled(ctx.signal)) {
    throw ctx.signal.reason instanceof RunCancelled
      ? ctx.signal.reason
      : new RunCancelled();
  }
}
