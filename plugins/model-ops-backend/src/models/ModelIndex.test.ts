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
    // The claimant declares an id sentiment owns: it is not monitored or deployed.
    expect((await index.specs()).map(s => s.entityRef)).toEqual([
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

describe('DefaultModelIndex model id claims', () => {
  const credentials = mockCredentials.user();
  const owner = 'component:default/sentiment';
  const claimant = 'component:default/claimant';

  it('gives the id to the first claimant by uid and tells both entities', async () => {
    const { index } = setup();
    const byRef = new Map((await index.list()).map(m => [m.entityRef, m]));
    expect(byRef.get(claimant)).toMatchObject({
      modelId: 'sentiment',
      spec: undefined,
      claim: { modelId: 'sentiment', ownerRef: owner, rivals: [claimant] },
      problems: [
        {
          annotation: 'model-ops/model-id',
          value: 'sentiment',
          message: `model id sentiment is already declared by ${owner}`,
        },
      ],
    });
    // The owner keeps its spec: the problem on it is a warning.
    expect(byRef.get(owner)).toMatchObject({
      spec: { modelId: 'sentiment' },
      problems: [
        {
          annotation: 'model-ops/model-id',
          severity: 'warning',
          message: expect.stringContaining(`also declared by ${claimant}`),
        },
      ],
    });
    expect(byRef.get('component:default/broken')?.problems).toHaveLength(1);
    expect((await index.get('sentiment'))?.entityRef).toBe(owner);
  });

  it('orders claimants by uid, not by name', async () => {
    const catalog = catalogServiceMock({
      entities: [
        model('zz-first', { 'model-ops/model-id': 'fraud' }, '0001'),
        model('aa-second', { 'model-ops/model-id': 'fraud' }, '0002'),
      ],
    });
    const index = DefaultModelIndex.create({
      catalog,
      auth: mockServices.auth(),
      logger: mockServices.logger.mock(),
      specContext: () => ({}),
      options: {
        maxAgeMs: 30_000,
        schedule: { frequency: { seconds: 30 }, timeout: { minutes: 1 } },
      },
    });
    expect((await index.get('fraud'))?.entityRef).toBe(
      'component:default/zz-first',
    );
    expect((await index.specs()).map(s => s.entityRef)).toEqual([
      'component:default/zz-first',
    ]);
  });

  it('refuses every use of the id through a claimant with a 409 naming the owner', async () => {
    const { index } = setup();
    for (const options of [{}, { lenient: true }, { purpose: 'x' }]) {
      await expect(
        index.resolve(claimant, credentials, options),
      ).rejects.toMatchObject({
        name: 'ConflictError',
        message: `model id sentiment is already declared by ${owner}`,
      });
    }
    await expect(
      index.resolve(claimant, credentials, { field: 'entityRef' }),
    ).rejects.toThrow(
      `entityRef: model id sentiment is already declared by ${owner}`,
    );
    // The owner resolves, and is the entity permissions are checked against.
    await expect(index.resolve(owner, credentials)).resolves.toMatchObject({
      entityRef: owner,
      spec: { entityRef: owner, modelId: 'sentiment' },
    });
  });

  it('reads the catalog again for an entity it does not know yet', async () => {
    const late = model('late', { 'model-ops/model-id': 'sentiment' }, 'y');
    const catalog = catalogServiceMock({ entities: [...entities, late] });
    const stream = jest.spyOn(catalog, 'streamEntities');
    // The first read misses the late entity, as if it was registered just after it.
    stream.mockImplementationOnce(async function* firstRead() {
      yield entities.filter(
        e => e.metadata.annotations?.['model-ops/model-id'],
      );
    });
    const index = DefaultModelIndex.create({
      catalog,
      auth: mockServices.auth(),
      logger: mockServices.logger.mock(),
      specContext: () => ({}),
      options: {
        maxAgeMs: 30_000,
        schedule: { frequency: { seconds: 30 }, timeout: { minutes: 1 } },
      },
    });
    await index.claims([{ entityRef: owner, modelId: 'sentiment' }]);
    expect(stream).toHaveBeenCalledTimes(1);
    // Unknown to the index: it reads again rather than taking the late entity for an owner.
    await expect(
      index.resolve('component:default/late', credentials),
    ).rejects.toThrow(`model id sentiment is already declared by ${owner}`);
    expect(stream).toHaveBeenCalledTimes(2);
    expect((await index.get('sentiment'))?.claim?.rivals).toEqual([
      'component:default/late',
      claimant,
    ]);
    // One the catalog read does not return either comes after every claimant the index has;
    // an id nobody else declares belongs to the entity declaring it.
    expect(
      await index.claims([
        { entityRef: 'component:default/ghost', modelId: 'sentiment' },
        { entityRef: 'component:default/ghost', modelId: 'fresh' },
      ]),
    ).toEqual([
      {
        modelId: 'sentiment',
        ownerRef: owner,
        rivals: ['component:default/late', claimant, 'component:default/ghost'],
      },
      { modelId: 'fresh', ownerRef: 'component:default/ghost', rivals: [] },
    ]);
    expect(stream).toHaveBeenCalledTimes(3);
  });
});
