import { TestDatabaseId } from '@backstage/backend-test-utils';
import { ConflictError, InputError } from '@backstage/errors';
import { STAGE_NAMES } from '@model-ops/plugin-model-ops-common';
import { Knex } from 'knex';
import { applyDatabaseMigrations } from '../models';
import { createTestDatabases } from '../__testUtils__/databases';
import { DatabaseRunStore } from './DatabaseRunStore';
import { NewRun, RunStore } from './RunStore';

jest.setTimeout(60_000);

const databases = createTestDatabases();

function newRun(id: string, overrides: Partial<NewRun> = {}): NewRun {
  return {
    id,
    modelId: 'sentiment-classifier',
    entityRef: 'component:default/sentiment-classifier',
    kind: 'deploy',
    version: '1.1.0',
    artifact: {
      uri: 'file:examples/models/sentiment-classifier/1.1.0',
      sha256: 'a'.repeat(64),
    },
    config: {},
    strategy: 'recreate',
    runtime: 'local',
    stages: [...STAGE_NAMES],
    ...overrides,
  };
}

/** Ids sort in creation order so that ties on created_at are still deterministic. */
const id = (n: number) =>
  `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

describe.each(databases.eachSupportedId())('RunStore on %s', databaseId => {
  let knex: Knex;
  let clock: Date;
  let store: RunStore;

  beforeEach(async () => {
    knex = await databases.init(databaseId as TestDatabaseId);
    await applyDatabaseMigrations(knex);
    clock = new Date('2026-11-26T08:00:00.000Z');
    store = DatabaseRunStore.create({
      knex,
      now: () => clock,
      leaseClock: async () => clock,
    });
  });

  const advance = (ms: number) => {
    clock = new Date(clock.getTime() + ms);
  };

  it('creates a pending run with its stages in order', async () => {
    const run = await store.createRun(newRun(id(1)));
    expect(run).toMatchObject({
      id: id(1),
      status: 'pending',
      runtime: 'local',
      cancelRequested: false,
      createdAt: '2026-11-26T08:00:00.000Z',
    });
    expect(run.stages.map(s => [s.name, s.status])).toEqual([
      ['validation', 'pending'],
      ['testing', 'pending'],
      ['staging', 'pending'],
      ['production', 'pending'],
    ]);
  });

  it('allows one active run per model and writes nothing for the second', async () => {
    await store.createRun(newRun(id(1)));
    await expect(store.createRun(newRun(id(2)))).rejects.toThrow(ConflictError);
    expect(await store.getRun(id(2))).toBeUndefined();
    expect(
      await knex('model_ops_run_stages').where({ run_id: id(2) }),
    ).toHaveLength(0);
    // Another model is not affected.
    await expect(
      store.createRun(newRun(id(3), { modelId: 'fraud-detector' })),
    ).resolves.toMatchObject({ status: 'pending' });
  });

  it('allows a new run once the active one has ended', async () => {
    await store.createRun(newRun(id(1)));
    const claimed = await store.claimNextRun('a', 30_000);
    await store.updateRun(claimed!.id, 'a', {
      status: 'failed',
      finishedAt: clock,
    });
    await expect(store.createRun(newRun(id(2)))).resolves.toMatchObject({
      status: 'pending',
    });
  });

  it('gives a run to one worker at a time and hands it over when the lease expires', async () => {
    await store.createRun(newRun(id(1)));
    const first = await store.claimNextRun('worker-a', 30_000);
    expect(first?.id).toBe(id(1));
    // Held: nobody else gets it.
    expect(await store.claimNextRun('worker-b', 30_000)).toBeUndefined();
    advance(20_000);
    expect(await store.renewLease(id(1), 'worker-a', 30_000)).toBe(true);
    advance(29_000);
    expect(await store.claimNextRun('worker-b', 30_000)).toBeUndefined();
    // Worker a dies: its lease runs out and worker b takes over.
    advance(2_000);
    const second = await store.claimNextRun('worker-b', 30_000);
    expect(second?.id).toBe(id(1));
    expect(second?.leaseOwner).toBe('worker-b');
    // Worker a comes back: it can neither renew nor write.
    expect(await store.renewLease(id(1), 'worker-a', 30_000)).toBe(false);
    expect(await store.updateRun(id(1), 'worker-a', { status: 'failed' })).toBe(
      false,
    );
    expect((await store.getRun(id(1)))?.status).toBe('pending');
  });

  it('only claims active runs', async () => {
    await store.createRun(newRun(id(1)));
    await store.claimNextRun('a', 1000);
    await store.updateRun(id(1), 'a', { status: 'succeeded' });
    await store.releaseLease(id(1), 'a');
    expect(await store.claimNextRun('b', 1000)).toBeUndefined();
  });

  it('records stage progress while the lease is held', async () => {
    await store.createRun(newRun(id(1)));
    await store.claimNextRun('a', 30_000);
    const written = await store.updateStage(
      id(1),
      'testing',
      {
        status: 'failed',
        startedAt: new Date('2026-11-26T08:00:01.000Z'),
        finishedAt: new Date('2026-11-26T08:00:04.500Z'),
        checks: [
          {
            name: 'functional: praise',
            ok: false,
            detail: 'expected positive',
            at: clock.toISOString(),
          },
        ],
        errors: ['1 of 10 functional cases failed'],
        metrics: { p95Ms: 3.2, functionalFailed: 1 },
      },
      'a',
    );
    expect(written).toBe(true);
    const stage = (await store.getRun(id(1)))!.stages.find(
      s => s.name === 'testing',
    )!;
    expect(stage).toMatchObject({
      status: 'failed',
      durationMs: 3500,
      errors: ['1 of 10 functional cases failed'],
      metrics: { p95Ms: 3.2, functionalFailed: 1 },
    });
    expect(stage.checks[0]).toMatchObject({
      name: 'functional: praise',
      ok: false,
    });
  });

  it('writes no stage for a worker that lost the run', async () => {
    await store.createRun(newRun(id(1)));
    await store.claimNextRun('a', 1000);
    advance(2000);
    expect((await store.claimNextRun('b', 30_000))?.leaseOwner).toBe('b');
    expect(
      await store.updateStage(id(1), 'testing', { status: 'failed' }, 'a'),
    ).toBe(false);
    expect(
      (await store.getRun(id(1)))!.stages.find(s => s.name === 'testing')
        ?.status,
    ).toBe('pending');
  });

  it('gives leases on the database clock, whatever the replica clock says', async () => {
    // This replica's clock is a day behind the database's.
    const behind = DatabaseRunStore.create({
      knex,
      now: () => new Date(Date.now() - 86_400_000),
    });
    await behind.createRun(newRun(id(1)));
    const claimed = await behind.claimNextRun('a', 30_000);
    const expires = claimed!.leaseExpiresAt!.getTime();
    expect(Math.abs(expires - (Date.now() + 30_000))).toBeLessThan(10_000);
    // So another replica with the right time does not take it over at once.
    const right = DatabaseRunStore.create({ knex });
    expect(await right.claimNextRun('b', 30_000)).toBeUndefined();
  });

  it('cancels only active runs', async () => {
    await store.createRun(newRun(id(1)));
    expect((await store.requestCancel(id(1))).cancelRequested).toBe(true);
    expect(await store.isCancelRequested(id(1))).toBe(true);
    await store.claimNextRun('a', 1000);
    await store.updateRun(id(1), 'a', { status: 'cancelled' });
    await expect(store.requestCancel(id(1))).rejects.toThrow(ConflictError);
  });

  it('lists runs newest first, page by page', async () => {
    for (let n = 1; n <= 5; n++) {
      await store.createRun(newRun(id(n), { version: `1.0.${n}` }));
      await store.claimNextRun('a', 1000);
      await store.updateRun(id(n), 'a', {
        status: 'succeeded',
        finishedAt: clock,
      });
      await store.releaseLease(id(n), 'a');
      advance(1000);
    }
    const first = await store.listRuns('sentiment-classifier', { limit: 2 });
    expect(first.items.map(r => r.version)).toEqual(['1.0.5', '1.0.4']);
    const second = await store.listRuns('sentiment-classifier', {
      limit: 2,
      cursor: first.nextCursor,
    });
    expect(second.items.map(r => r.version)).toEqual(['1.0.3', '1.0.2']);
    const third = await store.listRuns('sentiment-classifier', {
      limit: 2,
      cursor: second.nextCursor,
    });
    expect(third.items.map(r => r.version)).toEqual(['1.0.1']);
    expect(third.nextCursor).toBeUndefined();
    await expect(
      store.listRuns('sentiment-classifier', { limit: 2, cursor: 'garbage' }),
    ).rejects.toThrow(InputError);
  });

  it('lists the versions that succeeded, newest first, once each', async () => {
    const versions = ['1.0.0', '1.1.0', '1.0.0'];
    for (const [n, version] of versions.entries()) {
      await store.createRun(newRun(id(n + 1), { version }));
      await store.claimNextRun('a', 1000);
      await store.updateRun(id(n + 1), 'a', {
        status: 'succeeded',
        finishedAt: clock,
      });
      await store.releaseLease(id(n + 1), 'a');
      advance(1000);
    }
    const succeeded = await store.listSucceededVersions('sentiment-classifier');
    expect(succeeded.map(v => v.version)).toEqual(['1.0.0', '1.1.0']);
  });
});
