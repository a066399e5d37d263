import { SlotName } from '@model-ops/plugin-model-ops-common';
import { probe, round } from '../../lib/probe';
import { isCancelled } from '../runErrors';
import { StageFailure, throwIfAborted } from '../StageRecorder';
import { throwIfCancelled } from './shared';
import {
  ProductionContext,
  ProductionOutcome,
  ProductionStrategy,
} from './types';

/**
 * Recreate: replace the production slot in place, verify through the stable endpoint, and on
 * failure restore the previous version. There is no idle color, so its steps start at
 * traffic-set. A cancel during the replacement restores the previous version the same way, and
 * the run ends cancelled. Also what blue-green and canary fall back to when the
 * model has no live color to switch from (its first version) or the backend runs no switching.
 *
 * @internal
 */
export class RecreateStrategy implements ProductionStrategy {
  readonly name = 'recreate' as const;

  canDeploy(): boolean {
    return true;
  }

  async deploy(ctx: ProductionContext): Promise<ProductionOutcome> {
    const { run, recorder, previousVersion } = ctx;
    const slot: SlotName = ctx.active ?? 'blue';
    await recorder.metric({ strategy: 'recreate', slot });
    if (run.strategy !== 'recreate' && previousVersion) {
      await recorder.check(
        'strategy',
        true,
        `${run.strategy} needs blue/green environments, which this backend does not run yet; replacing in place (recreate)`,
      );
    }
    await ctx.markSlot(slot, run.version, 'starting', 100);
    try {
      const endpoint = await this.deployToProduction(ctx, slot, run.version, {
        ...run.artifact,
        localPath: ctx.fetched.localPath,
      });
      await ctx.reached('traffic-set');
      await this.verify(ctx, endpoint);
      await ctx.reached('probes-ok');
      const health = await ctx.runtime.health({ model: ctx.model, slot });
      await recorder.check(
        'health',
        health.status === 'healthy',
        health.status,
      );
      if (health.status !== 'healthy') {
        throw new StageFailure(`${slot} is ${health.status} after the switch`);
      }
      await ctx.reached('watch-ok');
      throwIfAborted(ctx.signal);
    } catch (error) {
      // A lost lease or a shutdown stops here; a cancel restores production like a failure,
      // then ends the run cancelled.
      if (ctx.signal.aborted && !isCancelled(ctx.signal)) throw error;
      recorder.errors.push((error as Error).message);
      if (!previousVersion) {
        await ctx.runtime
          .undeploy({ model: ctx.model, slot })
          .catch(() => undefined);
        await ctx.markSlot(slot, undefined, 'empty', 0);
        await recorder.error(
          'No previous version to restore; production slot emptied',
        );
        throwIfCancelled(ctx);
        return { status: 'failed' };
      }
      const restored = await this.restorePrevious(ctx, slot, previousVersion);
      throwIfCancelled(ctx);
      return { status: restored ? 'rolled_back' : 'failed', previousVersion };
    }
    await ctx.markSlot(slot, run.version, 'running', 100);
    await ctx.models.upsertModel({
      modelId: run.modelId,
      entityRef: run.entityRef,
      productionVersion: run.version,
      activeSlot: slot,
    });
    await ctx.models.upsertVersion(run.modelId, {
      version: run.version,
      artifactUri: run.artifact.uri,
      sha256: run.artifact.sha256,
      status: 'deployed',
      lastDeployedAt: ctx.now().toISOString(),
    });
    if (previousVersion && previousVersion !== run.version) {
      const versions = await ctx.models.getVersions(run.modelId);
      const previous = versions.find(v => v.version === previousVersion);
      if (previous) {
        await ctx.models.upsertVersion(run.modelId, {
          ...previous,
          status: 'retired',
        });
      }
    }
    await ctx.reached('committed');
    return { status: 'succeeded', previousVersion: previousVersion ?? null };
  }

  /** Deploys `version` into the slot and moves all traffic to it. */
  private async deployToProduction(
    ctx: ProductionContext,
    slot: SlotName,
    version: string,
    artifact: { uri: string; sha256?: string; localPath: string },
  ): Promise<string> {
    const started = performance.now();
    await ctx.runtime.deploy({
      model: ctx.model,
      slot,
      artifact: {
        uri: artifact.uri,
        sha256: artifact.sha256,
        version,
        localPath: artifact.localPath,
      },
      config: ctx.config,
    });
    await ctx.runtime.setTraffic({
      model: ctx.model,
      weights: { [slot]: 100 },
    });
    const description = await ctx.runtime.describe({ model: ctx.model });
    if (!description.productionEndpoint) {
      throw new StageFailure(
        `Runtime ${ctx.runtime.id} reports no production endpoint`,
      );
    }
    await ctx.recorder.check(
      `deploy ${version}`,
      true,
      `${slot} serves ${version}; traffic 100 % to ${slot} at ${description.productionEndpoint}`,
      performance.now() - started,
    );
    return description.productionEndpoint;
  }

  /**
   * Sends probes and the production-like verification inputs through the stable production
   * endpoint and checks that they reach the run's version and succeed.
   */
  private async verify(
    ctx: ProductionContext,
    endpoint: string,
  ): Promise<void> {
    const { recorder, budgets, run } = ctx;
    const inputs = ctx.verificationInputs;
    const { probes, maxErrorRatePct } = budgets.verification;
    const versionProbe = await probe({
      endpoint,
      inputs: inputs.length ? inputs : ['verification probe'],
      count: probes,
      signal: ctx.signal,
    });
    throwIfAborted(ctx.signal);
    const wrongVersion = versionProbe.samples.filter(
      s => s.version !== run.version,
    ).length;
    await recorder.check(
      'probe-version',
      wrongVersion === 0,
      `${probes - wrongVersion} of ${probes} probes answered by ${run.version}`,
    );
    if (wrongVersion > 0) {
      throw new StageFailure(
        `${wrongVersion} of ${probes} probes did not reach version ${run.version}`,
      );
    }
    const verification = inputs.length
      ? await probe({
          endpoint,
          inputs,
          count: inputs.length,
          signal: ctx.signal,
        })
      : undefined;
    throwIfAborted(ctx.signal);
    const failed = verification?.samples.filter(s => !s.ok) ?? [];
    const failures = failed
      .slice(0, 3)
      .map(s => `"${s.input.slice(0, 60)}": ${s.error}`);
    const errorRate = verification?.errorRatePct ?? 0;
    await recorder.metric({
      verificationRequests: inputs.length,
      verificationErrorRatePct: round(errorRate),
    });
    const ok = errorRate <= maxErrorRatePct;
    await recorder.check(
      'verification',
      ok,
      inputs.length
        ? `${inputs.length - failed.length} of ${
            inputs.length
          } production-like requests succeeded${
            failures.length ? `; failures: ${failures.join('; ')}` : ''
          }`
        : 'skipped: no production-like inputs (set modelOps.pipeline.verificationFile or ship tests.json cases)',
    );
    if (!ok) {
      throw new StageFailure(
        `Production verification failed: error rate ${round(
          errorRate,
        )} % (max ${maxErrorRatePct} %)`,
      );
    }
  }

  /** Deploys the previous version again from its verified artifact; true when it serves. */
  private async restorePrevious(
    ctx: ProductionContext,
    slot: SlotName,
    previousVersion: string,
  ): Promise<boolean> {
    const { run, recorder } = ctx;
    await recorder.metric({ restoring: previousVersion });
    try {
      const known = (await ctx.succeededVersions()).find(
        v => v.version === previousVersion,
      );
      if (!known) {
        throw new Error(
          `no succeeded run of ${previousVersion} to take its artifact from`,
        );
      }
      const previous = await ctx.fetcher.fetch({
        uri: known.uri,
        sha256: known.sha256 ?? '',
        modelId: run.modelId,
        version: previousVersion,
      });
      const endpoint = await this.deployToProduction(
        ctx,
        slot,
        previousVersion,
        {
          uri: known.uri,
          sha256: known.sha256,
          localPath: previous.localPath,
        },
      );
      const answers = await Promise.all(
        Array.from({ length: 3 }, () =>
          fetch(new URL('/healthz', endpoint)).then(r =>
            r.headers.get('x-model-version'),
          ),
        ),
      );
      const restored = answers.every(v => v === previousVersion);
      await recorder.check(
        'rollback',
        restored,
        restored
          ? `${previousVersion} serves production again`
          : `after restoring, production answers ${answers.join(', ')}`,
      );
      await ctx.markSlot(slot, previousVersion, 'running', 100);
      await ctx.models.upsertModel({
        modelId: run.modelId,
        entityRef: run.entityRef,
        productionVersion: previousVersion,
        activeSlot: slot,
      });
      await ctx.models.upsertVersion(run.modelId, {
        version: run.version,
        artifactUri: run.artifact.uri,
        sha256: run.artifact.sha256,
        status: 'failed',
      });
      return restored;
    } catch (error) {
      await recorder.check(
        'rollback',
        false,
        `restoring ${previousVersion} failed: ${error}`,
      );
      return false;
    }
  }
}
