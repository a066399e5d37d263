import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { ModelIndexRefresher, DefaultModelIndex } from './ModelIndex';

function model(
  name: string,
  annotations: Record<string, string>,
  uid?: string,
): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, namespace: 'default', uid, annotations },
    spec: { type: 'model', lifecycle: 'production', owner: 'team-a' },
  };
}

const entities = [
  model('sentiment', { 'model-ops/model-id': 'sentiment' }, 'b'),
  model(
    'broken',
    { 'model-ops/model-id': 'broken', 'model-ops/strategy': 'yolo' },
    'c',
  ),
  model('claimant', { 'model-ops/model-id': 'sentiment' }, 'z'),
  { ...model('web', {}), spec: { type: 'service' } },
];

function setup() {
  const catalog = catalogServiceMock({ entities });
  const stream = jest.spyOn(catalog, 'streamEntities');
  let now = 0;
  const index = DefaultModelIndex.create({
    catalog,
    auth: mockServices.auth(),
    logger: mockServices.logger.mock(),
    specContext: () => ({}),
    options: {
      maxAgeMs: 30_000,
      schedule: { frequency: { seconds: 30 }, timeout: { minutes: 1 } },
    },
    now: () => now,
  });
  return { index, stream, advance: (ms: number) => (now += ms) };
}

describe('DefaultModelIndex', () => {
  it('reads the catalog once per interval however many tasks read it', async () => {
    const { index, stream, advance } = setup();
    const refresher = new ModelIndexRefresher(index, {
      frequency: { seconds: 30 },
      timeout: { minutes: 1 },
    });
    // Three tasks at once before any refresh share one read.
    await Promise.all([index.list(), index.specs(), index.get('sentiment')]);
    expect(stream).toHaveBeenCalledTimes(1);
    for (let tick = 0; tick < 5; tick++) {
      advance(5_000);
      await Promise.all([index.list(), index.specs(), index.get('broken')]);
    }
    expect(stream).toHaveBeenCalledTimes(1);
    // The scheduled refresh reads again; the readers after it do not.
    await refresher.run();
    await Promise.all([index.list(), index.specs(), index.get('sentiment')]);
    expect(stream).toHaveBeenCalledTimes(2);
    // Past the maximum age without a scheduled refresh, the next reader refreshes once.
    advance(31_000);
    await Promise.all([index.list(), index.specs(), index.get('sentiment')]);
    expect(stream).toHaveBeenCalledTimes(3);
  });

  it('holds only models, with their specs or problems, the first claimant by uid', async () => {
    const { index } = setup();
    expect((await index.list()).map(m => m.entityRef)).toEqual([
      'component:default/broken',
      'component:default/claimant',
      'component:default/sentiment',
    ]);
    expect((await index.specs()).map(s => s.entityRef)).toEqual([
      'component:default/claimant',
      'component:default/sentiment',
    ]);
    expect((await index.get('sentiment'))?.entityRef).toBe(
      'component:default/sentiment',
    );
    expect(index.peek('sentiment')?.entityRef).toBe(
      'component:default/sentiment',
    );
    const broken = await index.get('broken');
    expect(broken?.spec).toBeUndefined();
    expect(broken?.problems.map(p => p.annotation)).toEqual([
      'model-ops/strategy',
    ]);
  });

  it('resolves an entity for a caller, naming what is wrong', async () => {
    const { index } = setup();
    const credentials = mockCredentials.user();
    await expect(
      index.resolve('component:default/sentiment', credentials),
    ).resolves.toMatchObject({
      entityRef: 'component:default/sentiment',
      spec: { modelId: 'sentiment' },
    });
    await expect(
      index.resolve('component:default/missing', credentials),
    ).rejects.toThrow('No entity component:default/missing in the catalog');
    await expect(
      index.resolve('component:default/web', credentials),
    ).rejects.toMatchObject({
      name: 'NotFoundError',
      message:
        'component:default/web is not a model: it has no model-ops/model-id annotation',
    });
    await expect(
      index.resolve('component:default/web', credentials, {
        field: 'entityRef',
      }),
    ).rejects.toMatchObject({
      name: 'InputError',
      message: expect.stringMatching(/^entityRef: /),
    });
    await expect(
      index.resolve('component:default/broken', credentials, {
        field: 'entityRef',
        purpose: 'cannot be deployed',
      }),
    ).rejects.toThrow(
      /^entityRef: component:default\/broken has bad annotations and cannot be deployed: model-ops\/strategy: /,
    );
    await expect(
      index.resolve(
        { kind: 'component', namespace: 'default', name: 'broken' },
        credentials,
        {
          lenient: true,
        },
      ),
    ).resolves.toMatchObject({ spec: { modelId: 'broken' } });
  });
});
