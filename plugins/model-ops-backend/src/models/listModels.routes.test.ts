/*
 * GET /models through the whole plugin on every database: filtered by text, owner and status,
 * sorted by each field both ways (absent values last, ties by entity ref), paged, with how many
 * match, the owners and the counts per status; a 400 naming the parameter that is wrong; and
 * the caller sees what the catalog lets them read (every model of the index on an
 * unconditional allow, none on a deny, the catalog asked with their credentials otherwise).
 */
import {
  coreServices,
  createServiceFactory,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { TestDatabaseId, mockCredentials } from '@backstage/backend-test-utils';
import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  ANNOTATION_MODEL_ID,
  ListModelsResponse,
  ModelSummary,
} from '@model-ops/plugin-model-ops-common';
import { Knex } from 'knex';
import request from 'supertest';
import { createTestDatabases } from '../__testUtils__/databases';
import {
  backstageError,
  component,
  errorOf,
  expectToMatchResponseSchema,
  startBackend,
  website,
} from '../__testUtils__/plugin';

jest.setTimeout(60_000);

const databases = createTestDatabases();

function model(
  name: string,
  extra: {
    owner?: string | null;
    title?: string;
    description?: string;
    namespace?: string;
  } = {},
): Entity {
  const entity = component(
    name,
    { [ANNOTATION_MODEL_ID]: name },
    {
      owner: extra.owner ?? undefined,
      title: extra.title,
      namespace: extra.namespace,
    },
  );
  if (extra.description) entity.metadata.description = extra.description;
  if (extra.owner === null) delete entity.spec!.owner;
  return entity;
}

const entities = [
  model('alpha-ranker', {
    owner: 'team-a',
    title: 'Alpha ranker',
    description: 'Ranks search results',
  }),
  model('beta-scorer', { owner: 'team-b' }),
  model('churn-predictor', { owner: 'team-b', namespace: 'ml' }),
  model('delta-embedder', { owner: 'group:ml/fraud-team' }),
  model('echo-tagger', { owner: 'team-a', title: 'Echo' }),
  model('fraud-detector', { owner: 'group:ml/fraud-team' }),
  model('gamma-forecaster', { owner: null }),
  model('hotel-classifier', { owner: 'team-c', title: 'Zulu classifier' }),
  model('india-summarizer', { owner: 'team-c' }),
  model('juliet-translator', { owner: 'team-a' }),
  model('kilo-router', { owner: 'team-b' }),
  model('lima-detector', { owner: 'team-c', description: 'Finds FRAUD' }),
];
const ref = (name: string) =>
  stringifyEntityRef(entities.find(e => e.metadata.name === name)!);
const ALL = entities.map(e => stringifyEntityRef(e)).sort();

/** What is stored of some models: status, production version, last update, firing alerts. */
const stored: Array<{
  name: string;
  status: string;
  productionVersion?: string;
  updatedAt: string;
  firing: number;
}> = [
  {
    name: 'alpha-ranker',
    status: 'healthy',
    productionVersion: '1.10.0',
    updatedAt: '2026-03-01T00:00:00.000Z',
    firing: 0,
  },
  {
    name: 'beta-scorer',
    status: 'warning',
    productionVersion: '1.9.0',
    updatedAt: '2026-03-03T00:00:00.000Z',
    firing: 2,
  },
  {
    name: 'delta-embedder',
    status: 'critical',
    productionVersion: '2.0.0',
    updatedAt: '2026-03-02T00:00:00.000Z',
    firing: 1,
  },
  {
    name: 'echo-tagger',
    status: 'healthy',
    updatedAt: '2026-03-02T00:00:00.000Z',
    firing: 0,
  },
  {
    name: 'kilo-router',
    status: 'warning',
    productionVersion: '1.9.0',
    updatedAt: '2026-03-04T00:00:00.000Z',
    firing: 2,
  },
];

async function seed(knex: Knex) {
  await knex('model_ops_alerts').delete();
  await knex('model_ops_models').delete();
  for (const s of stored) {
    await knex('model_ops_models').insert({
      model_id: s.name,
      entity_ref: ref(s.name),
      production_version: s.productionVersion ?? null,
      active_slot: s.productionVersion ? 'blue' : null,
      status: s.status,
      updated_at: new Date(s.updatedAt),
    });
    // Firing alerts are counted; a resolved one is not.
    for (let i = 0; i <= s.firing; i++) {
      const state = i < s.firing ? 'firing' : 'resolved';
      await knex('model_ops_alerts').insert({
        id: `00000000-0000-4000-8000-${String(
          stored.indexOf(s) * 10 + i,
        ).padStart(12, '0')}`,
        fingerprint: `${s.name}-${i}`,
        model_id: s.name,
        entity_ref: ref(s.name),
        alert_type: `rule-${i}`,
        metric: 'errorRate',
        severity: 'warning',
        state,
        value: 1,
        threshold: 0.5,
        summary: 'errors',
        starts_at: new Date('2026-03-01T00:00:00.000Z'),
        resolved_at:
          state === 'resolved' ? new Date('2026-03-01T01:00:00.000Z') : null,
        updated_at: new Date('2026-03-01T00:00:00.000Z'),
      });
    }
  }
}

const collator = new Intl.Collator('en', { numeric: true });

describe.each(databases.eachSupportedId())('GET /models on %s', databaseId => {
  let knex: Knex;

  beforeAll(async () => {
    knex = await databases.init(databaseId as TestDatabaseId);
  });

  describe('with every entity visible', () => {
    let backend: Awaited<ReturnType<typeof startBackend>>['backend'];
    let catalog: Awaited<ReturnType<typeof startBackend>>['catalog'];

    beforeAll(async () => {
      ({ backend, catalog } = await startBackend(knex, [website, ...entities]));
      await seed(knex);
    });

    afterAll(async () => {
      await backend.stop();
    });

    async function list(query: string = ''): Promise<ListModelsResponse> {
      const res = await request(backend.server)
        .get(`/api/model-ops/models${query}`)
        .set('Authorization', mockCredentials.user.header());
      expect(res.status).toBe(200);
      expectToMatchResponseSchema(res.body, '/models', '200');
      return res.body;
    }
    const refs = (body: ListModelsResponse) => body.items.map(m => m.entityRef);

    it('answers the first page of 50, sorted by entity ref, with owners and counts', async () => {
      const body = await list();
      expect(refs(body)).toEqual(ALL);
      expect(body).toMatchObject({
        totalCount: 12,
        offset: 0,
        limit: 50,
        owners: [
          'group:default/team-a',
          'group:default/team-b',
          'group:default/team-c',
          'group:ml/fraud-team',
          'group:ml/team-b',
        ],
        statusCounts: { unknown: 7, healthy: 2, warning: 2, critical: 1 },
      });
      const beta = body.items.find(m => m.name === 'beta-scorer')!;
      expect(beta).toMatchObject({
        status: 'warning',
        productionVersion: '1.9.0',
        activeSlot: 'blue',
        updatedAt: '2026-03-03T00:00:00.000Z',
        openAlerts: 2,
        owner: 'group:default/team-b',
        spec: { modelId: 'beta-scorer' },
      });
      expect(body.items.find(m => m.name === 'gamma-forecaster')).toMatchObject(
        { status: 'unknown', openAlerts: 0 },
      );
      expect(
        body.items.find(m => m.name === 'gamma-forecaster')!.owner,
      ).toBeUndefined();
    });

    it('does not read the catalog per request when every entity may be read', async () => {
      const streamEntities = jest.spyOn(catalog, 'streamEntities');
      await list('?q=alpha');
      expect(streamEntities).not.toHaveBeenCalled();
      streamEntities.mockRestore();
    });

    it.each([
      ['ranker', ['alpha-ranker']],
      // The description, any case.
      ['RANKS SEARCH', ['alpha-ranker']],
      // The title.
      ['zulu', ['hotel-classifier']],
      // The owner (two of its models), and a description that says it.
      ['fraud', ['delta-embedder', 'fraud-detector', 'lima-detector']],
      // The entity ref (the namespace).
      ['component:ml/', ['churn-predictor']],
      ['no such model', []],
    ])('filters by the text %j', async (q, names) => {
      const body = await list(`?q=${encodeURIComponent(q)}`);
      expect(refs(body)).toEqual(names.map(ref).sort());
      expect(body.totalCount).toBe(names.length);
      // Owners are every owner the caller may see, whatever the filters.
      expect(body.owners).toHaveLength(5);
    });

    it('filters by owner, a bare name being a group of the default namespace', async () => {
      const full = await list(
        `?owner=${encodeURIComponent('group:ml/fraud-team')}`,
      );
      expect(refs(full)).toEqual([
        ref('delta-embedder'),
        ref('fraud-detector'),
      ]);
      expect(full.statusCounts).toEqual({
        unknown: 1,
        healthy: 0,
        warning: 0,
        critical: 1,
      });
      const bare = await list('?owner=TEAM-A');
      expect(refs(bare)).toEqual(
        ['alpha-ranker', 'echo-tagger', 'juliet-translator'].map(ref),
      );
      // team-b of the ml namespace is another group.
      const teamB = await list(
        `?owner=${encodeURIComponent('group:ml/team-b')}`,
      );
      expect(refs(teamB)).toEqual([ref('churn-predictor')]);
    });

    it('filters by status; the counts per status ignore the status filter', async () => {
      const healthy = await list('?status=healthy');
      expect(refs(healthy)).toEqual([ref('alpha-ranker'), ref('echo-tagger')]);
      expect(healthy.totalCount).toBe(2);
      expect(healthy.statusCounts).toEqual({
        unknown: 7,
        healthy: 2,
        warning: 2,
        critical: 1,
      });
      const combined = await list('?status=warning&owner=team-b&q=kilo');
      expect(refs(combined)).toEqual([ref('kilo-router')]);
      expect(combined.statusCounts).toEqual({
        unknown: 0,
        healthy: 0,
        warning: 1,
        critical: 0,
      });
      const none = await list('?status=critical&owner=team-a');
      expect(none).toMatchObject({ items: [], totalCount: 0 });
    });

    // The expected order of each field: ties in entity ref order (component:ml/churn-predictor
    // after the default namespace's), absent values last in either order; status by severity,
    // versions by their numbers (1.9.0 before 1.10.0).
    it.each([
      ['entityRef', 'asc', ALL],
      ['entityRef', 'desc', [...ALL].reverse()],
      [
        'status',
        'asc',
        [
          'fraud-detector',
          'gamma-forecaster',
          'hotel-classifier',
          'india-summarizer',
          'juliet-translator',
          'lima-detector',
          'churn-predictor',
          'alpha-ranker',
          'echo-tagger',
          'beta-scorer',
          'kilo-router',
          'delta-embedder',
        ],
      ],
      [
        'status',
        'desc',
        [
          'delta-embedder',
          'beta-scorer',
          'kilo-router',
          'alpha-ranker',
          'echo-tagger',
          'fraud-detector',
          'gamma-forecaster',
          'hotel-classifier',
          'india-summarizer',
          'juliet-translator',
          'lima-detector',
          'churn-predictor',
        ],
      ],
      [
        'openAlerts',
        'desc',
        [
          'beta-scorer',
          'kilo-router',
          'delta-embedder',
          'alpha-ranker',
          'echo-tagger',
          'fraud-detector',
          'gamma-forecaster',
          'hotel-classifier',
          'india-summarizer',
          'juliet-translator',
          'lima-detector',
          'churn-predictor',
        ],
      ],
      [
        'openAlerts',
        'asc',
        [
          'alpha-ranker',
          'echo-tagger',
          'fraud-detector',
          'gamma-forecaster',
          'hotel-classifier',
          'india-summarizer',
          'juliet-translator',
          'lima-detector',
          'churn-predictor',
          'delta-embedder',
          'beta-scorer',
          'kilo-router',
        ],
      ],
      [
        'productionVersion',
        'asc',
        [
          'beta-scorer',
          'kilo-router',
          'alpha-ranker',
          'delta-embedder',
          'echo-tagger',
          'fraud-detector',
          'gamma-forecaster',
          'hotel-classifier',
          'india-summarizer',
          'juliet-translator',
          'lima-detector',
          'churn-predictor',
        ],
      ],
      [
        'productionVersion',
        'desc',
        [
          'delta-embedder',
          'alpha-ranker',
          'beta-scorer',
          'kilo-router',
          'echo-tagger',
          'fraud-detector',
          'gamma-forecaster',
          'hotel-classifier',
          'india-summarizer',
          'juliet-translator',
          'lima-detector',
          'churn-predictor',
        ],
      ],
      [
        'updatedAt',
        'asc',
        [
          'alpha-ranker',
          'delta-embedder',
          'echo-tagger',
          'beta-scorer',
          'kilo-router',
          'fraud-detector',
          'gamma-forecaster',
          'hotel-classifier',
          'india-summarizer',
          'juliet-translator',
          'lima-detector',
          'churn-predictor',
        ],
      ],
      [
        'updatedAt',
        'desc',
        [
          'kilo-router',
          'beta-scorer',
          'delta-embedder',
          'echo-tagger',
          'alpha-ranker',
          'fraud-detector',
          'gamma-forecaster',
          'hotel-classifier',
          'india-summarizer',
          'juliet-translator',
          'lima-detector',
          'churn-predictor',
        ],
      ],
    ])('sorts by %s %s', async (sort, order, expected) => {
      const body = await list(`?sort=${sort}&order=${order}`);
      expect(refs(body)).toEqual(
        expected.map(e => (e.includes(':') ? e : ref(e))),
      );
    });

    it.each(['asc', 'desc'])(
      'sorts by name and by owner, %s, ties by entity ref',
      async order => {
        const sign = order === 'desc' ? -1 : 1;
        const byField =
          (field: 'name' | 'owner') => (a: ModelSummary, b: ModelSummary) => {
            const [x, y] = [a[field], b[field]];
            if (x !== y) {
              if (x === undefined) return 1;
              if (y === undefined) return -1;
              const c = collator.compare(x, y);
              if (c !== 0) return sign * c;
            }
            return a.entityRef.localeCompare(b.entityRef);
          };
        const all = (await list()).items;
        for (const field of ['name', 'owner'] as const) {
          const body = await list(`?sort=${field}&order=${order}`);
          expect(refs(body)).toEqual(
            [...all].sort(byField(field)).map(m => m.entityRef),
          );
        }
        // Absent owners last, in either order.
        const byOwner = await list(`?sort=owner&order=${order}`);
        expect(byOwner.items[byOwner.items.length - 1].name).toBe(
          'gamma-forecaster',
        );
      },
    );

    it('shows the capacity summary of each model and sorts by its projected monthly cost', async () => {
      // The summary task ran once at start-up; these replace what it stored.
      await knex('model_ops_capacity_summaries').delete();
      const costs: Array<[string, number]> = [
        ['alpha-ranker', 120.5],
        ['beta-scorer', 7],
        ['kilo-router', 300],
      ];
      for (const [name, amount] of costs) {
        await knex('model_ops_capacity_summaries').insert({
          model_id: name,
          period: '7d',
          computed_at: new Date('2026-03-05T00:00:00.000Z'),
          monthly_cost: amount,
          currency: 'USD',
          cost_basis: name === 'beta-scorer' ? 'current' : 'projection',
          top_recommendation:
            name === 'kilo-router'
              ? JSON.stringify({
                  id: 'high-cpu',
                  type: 'scaling',
                  priority: 'high',
                  title: 'Scale out: CPU is high',
                })
              : null,
          recommendations: name === 'kilo-router' ? 2 : 0,
          seeded: false,
        });
      }
      const body = await list('?owner=team-b');
      const kilo = body.items.find(m => m.entityRef === ref('kilo-router'))!;
      expect(kilo.capacity).toEqual({
        period: '7d',
        computedAt: '2026-03-05T00:00:00.000Z',
        projectedMonthlyCost: {
          amount: 300,
          currency: 'USD',
          basis: 'projection',
        },
        topRecommendation: {
          id: 'high-cpu',
          type: 'scaling',
          priority: 'high',
          title: 'Scale out: CPU is high',
        },
        recommendations: 2,
        seeded: false,
      });
      const all = await list();
      const churn = all.items.find(
        m => m.entityRef === ref('churn-predictor'),
      )!;
      expect(churn.capacity).toBeUndefined();

      const asc = await list('?sort=projectedMonthlyCost&limit=4');
      expect(refs(asc)).toEqual([
        ref('beta-scorer'),
        ref('alpha-ranker'),
        ref('kilo-router'),
        // No summary: after every model that has one, by entity ref.
        ALL.find(
          r =>
            ![
              ref('beta-scorer'),
              ref('alpha-ranker'),
              ref('kilo-router'),
            ].includes(r),
        ),
      ]);
      const desc = await list('?sort=projectedMonthlyCost&order=desc&limit=3');
      expect(refs(desc)).toEqual([
        ref('kilo-router'),
        ref('alpha-ranker'),
        ref('beta-scorer'),
      ]);
      expect(
        (
          await list('?sort=projectedMonthlyCost&offset=3&limit=50')
        ).items.every(m => m.capacity === undefined),
      ).toBe(true);
      await knex('model_ops_capacity_summaries').delete();
    });

    it('pages with offset and limit, the pages adding up to the whole list', async () => {
      const pages: string[] = [];
      for (let offset = 0; offset < 12; offset += 5) {
        const body = await list(
          `?sort=status&order=desc&offset=${offset}&limit=5`,
        );
        expect(body).toMatchObject({ offset, limit: 5, totalCount: 12 });
        expect(body.items.length).toBe(Math.min(5, 12 - offset));
        pages.push(...refs(body));
      }
      expect(pages).toEqual(refs(await list('?sort=status&order=desc')));
      const past = await list('?offset=40&limit=10');
      expect(past).toMatchObject({ items: [], totalCount: 12, offset: 40 });
      const filtered = await list('?owner=team-c&offset=1&limit=1');
      expect(refs(filtered)).toEqual([ref('india-summarizer')]);
      expect(filtered.totalCount).toBe(3);
    });

    it('counts alerts the same whichever field sorts the page', async () => {
      const byRef = await list('?limit=3&q=er');
      const byAlerts = await list('?limit=50&q=er&sort=openAlerts');
      for (const item of byRef.items) {
        expect(
          byAlerts.items.find(m => m.entityRef === item.entityRef)!.openAlerts,
        ).toBe(item.openAlerts);
      }
    });

    it.each([
      ['limit=0', /limit/],
      ['limit=501', /limit/],
      ['limit=ten', /limit/],
      ['limit=2.5', /limit/],
      ['offset=-1', /offset/],
      ['offset=x', /offset/],
      ['sort=color', /sort/],
      ['order=up', /order/],
      ['status=fine', /status/],
      [`q=${'x'.repeat(201)}`, /\bq\b/],
      ['owner=group%3A', /owner/],
    ])('refuses %s with a 400 naming the parameter', async (query, name) => {
      const res = await request(backend.server)
        .get(`/api/model-ops/models?${query}`)
        .set('Authorization', mockCredentials.user.header());
      expect(errorOf(res)).toEqual(backstageError(400, 'InputError', name));
    });
  });

  describe('when the catalog read decision is conditional', () => {
    const decision = {
      current: AuthorizeResult.CONDITIONAL as AuthorizeResult,
    };
    const permissions: PermissionsService = {
      authorize: async requests =>
        requests.map(() => ({ result: AuthorizeResult.ALLOW })),
      authorizeConditional: async requests =>
        requests.map(() =>
          decision.current === AuthorizeResult.CONDITIONAL
            ? {
                result: AuthorizeResult.CONDITIONAL,
                pluginId: 'catalog',
                resourceType: 'catalog-entity',
                conditions: {
                  rule: 'IS_ENTITY_OWNER',
                  resourceType: 'catalog-entity',
                  params: { claims: ['group:default/team-a'] },
                },
              }
            : { result: decision.current as AuthorizeResult.DENY },
        ) as any,
    };
    let backend: Awaited<ReturnType<typeof startBackend>>['backend'];
    let catalog: Awaited<ReturnType<typeof startBackend>>['catalog'];
    const newcomer = model('mike-newcomer', { owner: 'team-a' });
    const teamA = entities.filter(e => e.spec?.owner === 'team-a');

    beforeAll(async () => {
      ({ backend, catalog } = await startBackend(
        knex,
        [website, ...entities],
        [
          createServiceFactory({
            service: coreServices.permissions,
            deps: {},
            factory: () => permissions,
          }),
        ],
      ));
      await seed(knex);
    });

    afterAll(async () => {
      await backend.stop();
    });

    it('lists what the catalog answers the caller’s credentials, and reads it each time', async () => {
      const original = catalog.streamEntities.bind(catalog);
      // The catalog filters by the condition: alice owns only team-a's models.
      const streamEntities = jest
        .spyOn(catalog, 'streamEntities')
        .mockImplementation(async function* stream(req, options) {
          const user =
            ((options as any)?.credentials?.principal?.type as string) ===
            'user';
          for await (const page of original(req, options)) {
            yield user ? page.filter(e => e.spec?.owner === 'team-a') : page;
          }
        });
      const res = await request(backend.server)
        .get('/api/model-ops/models?sort=name&order=desc')
        .set(
          'Authorization',
          mockCredentials.user.header('user:default/alice'),
        );
      expect(res.status).toBe(200);
      expect(res.body.items.map((m: ModelSummary) => m.entityRef)).toEqual(
        ['juliet-translator', 'echo-tagger', 'alpha-ranker'].map(ref),
      );
      expect(res.body).toMatchObject({
        totalCount: 3,
        owners: ['group:default/team-a'],
        statusCounts: { unknown: 1, healthy: 2, warning: 0, critical: 0 },
      });
      expect(streamEntities).toHaveBeenCalledWith(expect.anything(), {
        credentials: expect.objectContaining({
          principal: expect.objectContaining({
            userEntityRef: 'user:default/alice',
          }),
        }),
      });
      expect(teamA).toHaveLength(3);
      streamEntities.mockRestore();
    });

    it('reads the catalog again for a model registered since the last refresh', async () => {
      const original = catalog.streamEntities.bind(catalog);
      const streamEntities = jest
        .spyOn(catalog, 'streamEntities')
        .mockImplementation(async function* stream(req, options) {
          for await (const page of original(req, options)) {
            yield [...page, newcomer];
          }
        });
      const res = await request(backend.server)
        .get('/api/model-ops/models?q=newcomer')
        .set('Authorization', mockCredentials.user.header());
      expect(res.status).toBe(200);
      expect(res.body.items.map((m: ModelSummary) => m.entityRef)).toEqual([
        stringifyEntityRef(newcomer),
      ]);
      streamEntities.mockRestore();
    });

    it('lists nothing, without asking the catalog, when reading is denied', async () => {
      decision.current = AuthorizeResult.DENY;
      const streamEntities = jest.spyOn(catalog, 'streamEntities');
      try {
        const res = await request(backend.server)
          .get('/api/model-ops/models')
          .set('Authorization', mockCredentials.user.header());
        expect(res.status).toBe(200);
        expect(res.body).toEqual({
          items: [],
          totalCount: 0,
          offset: 0,
          limit: 50,
          owners: [],
          statusCounts: { unknown: 0, healthy: 0, warning: 0, critical: 0 },
        });
        expect(streamEntities).not.toHaveBeenCalled();
      } finally {
        decision.current = AuthorizeResult.CONDITIONAL;
        streamEntities.mockRestore();
      }
    });
  });
});
