import { MockFetchApi, registerMswTestHooks } from '@backstage/test-utils';
import { ResponseError } from '@backstage/errors';
import { http, HttpResponse, JsonBodyType } from 'msw';
import { setupServer } from 'msw/node';
import { ModelOpsClient } from './ModelOpsClient';

const BASE = 'http://backstage/api/model-ops';
const ENTITY_PATH = `${BASE}/entities/component/default/sentiment-classifier`;
const entity = {
  kind: 'Component',
  namespace: 'default',
  name: 'sentiment-classifier',
};
const RUN_ID = '0b9f3c1e-8f1d-4c55-9a57-1c2f0a5b7d11';
const run = { id: RUN_ID, status: 'pending' };

const server = setupServer();
registerMswTestHooks(server);

interface Seen {
  method: string;
  url: string;
  body: unknown;
  contentType: string | null;
  authorization: string | null;
}

/** Answers every request with `answer` (and `status`), and records what came in. */
function answer(payload: JsonBodyType, status = 200) {
  const seen: Seen[] = [];
  server.use(
    http.all(`${BASE}/*`, async ({ request }) => {
      const text = await request.text();
      seen.push({
        method: request.method,
        url: request.url,
        body: text ? JSON.parse(text) : undefined,
        contentType: request.headers.get('content-type'),
        authorization: request.headers.get('authorization'),
      });
      return HttpResponse.json(payload, { status });
    }),
  );
  return seen;
}

function client() {
  return new ModelOpsClient({
    discoveryApi: {
      getBaseUrl: async pluginId => `http://backstage/api/${pluginId}`,
    },
    // The token stands for the credentials Backstage's fetchApi adds to every request.
    fetchApi: new MockFetchApi({ injectIdentityAuth: { token: 'user-token' } }),
  });
}

const get = (url: string) =>
  expect.objectContaining({ method: 'GET', url, body: undefined });
const post = (url: string, body?: unknown) =>
  expect.objectContaining({
    method: 'POST',
    url,
    body,
    contentType: body === undefined ? null : 'application/json',
  });

describe('ModelOpsClient', () => {
  it('lists the models, with the signed-in user’s credentials', async () => {
    const seen = answer({ items: [] });
    await expect(client().listModels()).resolves.toEqual({ items: [] });
    expect(seen).toEqual([get(`${BASE}/models`)]);
    expect(seen[0].authorization).toBe('Bearer user-token');
  });

  it('sends the model list query: filters, sort and page', async () => {
    const seen = answer({ items: [], totalCount: 0, offset: 50, limit: 50 });
    await client().listModels({
      q: 'fraud team',
      owner: 'group:ml/fraud-team',
      status: 'warning',
      sort: 'openAlerts',
      order: 'desc',
      offset: 50,
      limit: 50,
    });
    expect(seen).toEqual([
      get(
        `${BASE}/models?q=fraud+team&owner=group%3Aml%2Ffraud-team&status=warning&sort=openAlerts&order=desc&offset=50&limit=50`,
      ),
    ]);
  });

  it('gets a model by its entity, kind lower-cased', async () => {
    const seen = answer({
      entityRef: 'component:default/sentiment-classifier',
    });
    await expect(client().getModel(entity)).resolves.toEqual({
      entityRef: 'component:default/sentiment-classifier',
    });
    expect(seen).toEqual([get(ENTITY_PATH)]);
  });

  it('encodes the parts of an entity path', async () => {
    const seen = answer({});
    await client().getModel({
      kind: 'Component',
      namespace: 'ml',
      name: 'a b',
    });
    expect(seen).toEqual([get(`${BASE}/entities/component/ml/a%20b`)]);
  });

  it('lists deployments, with a page size and cursor only when given', async () => {
    const seen = answer({ items: [] });
    await client().listDeployments(entity);
    await client().listDeployments(entity, { limit: 5, cursor: 'abc' });
    await client().listDeployments(entity, { limit: 0, cursor: '' });
    expect(seen).toEqual([
      get(`${ENTITY_PATH}/deployments`),
      get(`${ENTITY_PATH}/deployments?limit=5&cursor=abc`),
      get(`${ENTITY_PATH}/deployments`),
    ]);
  });

  it('gets a deployment run', async () => {
    const seen = answer(run);
    await expect(client().getDeployment(RUN_ID)).resolves.toEqual(run);
    expect(seen).toEqual([get(`${BASE}/deployments/${RUN_ID}`)]);
  });

  it('creates a deployment with the request as its JSON body', async () => {
    const seen = answer(run, 202);
    const request = {
      entityRef: 'component:default/sentiment-classifier',
      version: '1.1.0',
      artifact: { uri: 'file:sentiment/1.1.0', sha256: 'a'.repeat(64) },
      strategy: 'canary' as const,
    };
    await expect(client().createDeployment(request)).resolves.toEqual(run);
    expect(seen).toEqual([post(`${BASE}/deployments`, request)]);
  });

  it('cancels a deployment run', async () => {
    const seen = answer(run, 202);
    await expect(client().cancelDeployment(RUN_ID)).resolves.toEqual(run);
    expect(seen).toEqual([post(`${BASE}/deployments/${RUN_ID}/cancel`)]);
  });

  it('rolls back, to a named version or the newest earlier one', async () => {
    const seen = answer(run, 202);
    await client().rollback(entity, '1.0.0');
    await client().rollback(entity);
    expect(seen).toEqual([
      post(`${ENTITY_PATH}/rollback`, { toVersion: '1.0.0' }),
      post(`${ENTITY_PATH}/rollback`, {}),
    ]);
  });

  it('lists the versions offered for deployment', async () => {
    const items = [{ version: '1.0.0', uri: 'file:sentiment/1.0.0' }];
    const seen = answer({ items });
    await expect(client().listArtifacts(entity)).resolves.toEqual({ items });
    expect(seen).toEqual([get(`${ENTITY_PATH}/artifacts`)]);
  });

  it('gets the environments', async () => {
    const seen = answer({ slots: [], history: [] });
    await expect(client().getEnvironments(entity)).resolves.toEqual({
      slots: [],
      history: [],
    });
    expect(seen).toEqual([get(`${ENTITY_PATH}/environments`)]);
  });

  it('switches the environment, to the idle color unless told', async () => {
    const seen = answer({ id: 'switch-1', status: 'succeeded' });
    await expect(
      client().switchEnvironment(entity, { to: 'green', reason: 'drill' }),
    ).resolves.toEqual({ id: 'switch-1', status: 'succeeded' });
    await client().switchEnvironment(entity);
    expect(seen).toEqual([
      post(`${ENTITY_PATH}/environments/switch`, {
        to: 'green',
        reason: 'drill',
      }),
      post(`${ENTITY_PATH}/environments/switch`, {}),
    ]);
  });

  it('rolls a switch back, and passes on a redeploy run (202) as it came', async () => {
    const seen = answer(run, 202);
    await expect(
      client().rollbackSwitch(entity, 'bad release'),
    ).resolves.toEqual(run);
    await client().rollbackSwitch(entity);
    expect(seen).toEqual([
      post(`${ENTITY_PATH}/environments/rollback-switch`, {
        reason: 'bad release',
      }),
      post(`${ENTITY_PATH}/environments/rollback-switch`, {}),
    ]);
  });

  it('promotes a canary', async () => {
    const seen = answer({ ...run, canaryCommand: 'promote' }, 202);
    await expect(client().promoteCanary(RUN_ID)).resolves.toEqual({
      ...run,
      canaryCommand: 'promote',
    });
    expect(seen).toEqual([post(`${BASE}/deployments/${RUN_ID}/promote`)]);
  });

  it('aborts a canary', async () => {
    const seen = answer({ ...run, canaryCommand: 'abort' }, 202);
    await expect(client().abortCanary(RUN_ID)).resolves.toEqual({
      ...run,
      canaryCommand: 'abort',
    });
    expect(seen).toEqual([post(`${BASE}/deployments/${RUN_ID}/abort`)]);
  });

  it('gets the status', async () => {
    const status = { status: 'unknown', metrics: [], alerts: [] };
    const seen = answer(status);
    await expect(client().getStatus(entity)).resolves.toEqual(status);
    expect(seen).toEqual([get(`${ENTITY_PATH}/status`)]);
  });

  it('gets the metrics of a range with ISO bounds and a step', async () => {
    const seen = answer({ series: [] });
    await client().getMetrics(entity, {
      from: new Date('2026-11-26T08:00:00.000Z'),
      to: '2026-11-26T09:00:00Z',
      step: 60,
    });
    expect(seen).toEqual([
      get(
        `${ENTITY_PATH}/metrics?from=2026-11-26T08%3A00%3A00.000Z&to=2026-11-26T09%3A00%3A00.000Z&step=60`,
      ),
    ]);
  });

  it('lists the alerts, of one state when asked', async () => {
    const seen = answer({ items: [] });
    await client().listAlerts(entity);
    await client().listAlerts(entity, 'firing');
    expect(seen).toEqual([
      get(`${ENTITY_PATH}/alerts`),
      get(`${ENTITY_PATH}/alerts?state=firing`),
    ]);
  });

  it('lists the silences of a model', async () => {
    const items = [{ id: 's-1', state: 'active' }];
    const seen = answer({ items });
    await expect(client().listSilences(entity)).resolves.toEqual({ items });
    expect(seen).toEqual([get(`${ENTITY_PATH}/silences`)]);
  });

  it('creates a silence with the request as its JSON body (201)', async () => {
    const silence = { id: 's-1', kind: 'silence', state: 'active' };
    const seen = answer(silence, 201);
    const request = {
      matchers: { alertType: ['high_error_rate'], slot: ['blue' as const] },
      reason: 'known issue',
      durationMinutes: 60,
    };
    await expect(client().createSilence(entity, request)).resolves.toEqual(
      silence,
    );
    expect(seen).toEqual([post(`${ENTITY_PATH}/silences`, request)]);
  });

  it('expires a silence, its id encoded in the path', async () => {
    const seen = answer({ id: 's 1', state: 'expired' });
    await expect(client().expireSilence(entity, 's 1')).resolves.toEqual({
      id: 's 1',
      state: 'expired',
    });
    expect(seen).toEqual([post(`${ENTITY_PATH}/silences/s%201/expire`)]);
  });

  it('lists the incidents of a model and gets one with its timeline', async () => {
    const seen = answer({ items: [] });
    await expect(client().listIncidents(entity)).resolves.toEqual({
      items: [],
    });
    await client().getIncident(entity, 'inc-1');
    expect(seen).toEqual([
      get(`${ENTITY_PATH}/incidents`),
      get(`${ENTITY_PATH}/incidents/inc-1`),
    ]);
  });

  it('gets an incident report as Markdown text', async () => {
    const seen: string[] = [];
    server.use(
      http.get(`${BASE}/*`, ({ request }) => {
        seen.push(request.url);
        return new HttpResponse('# Incident inc-1\n\n- opened', {
          headers: { 'Content-Type': 'text/markdown; charset=utf-8' },
        });
      }),
    );
    await expect(client().getIncidentReport(entity, 'inc-1')).resolves.toBe(
      '# Incident inc-1\n\n- opened',
    );
    expect(seen).toEqual([`${ENTITY_PATH}/incidents/inc-1/report`]);
  });

  it('turns a failed report into a ResponseError with the backend’s error', async () => {
    answer(
      {
        error: { name: 'NotFoundError', message: 'No incident inc-9' },
        request: { method: 'GET', url: '/x' },
        response: { statusCode: 404 },
      },
      404,
    );
    await expect(
      client().getIncidentReport(entity, 'inc-9'),
    ).rejects.toMatchObject({
      name: 'ResponseError',
      statusCode: 404,
      cause: { name: 'NotFoundError', message: 'No incident inc-9' },
    });
  });

  it('lists the open incidents and the open alerts of every model', async () => {
    const seen = answer({ items: [] });
    await expect(client().listOpenIncidents()).resolves.toEqual({ items: [] });
    await expect(client().listOpenAlerts()).resolves.toEqual({ items: [] });
    expect(seen).toEqual([get(`${BASE}/incidents`), get(`${BASE}/alerts`)]);
  });

  it('gets the capacity report, of a period when asked', async () => {
    const seen = answer({
      entityRef: 'component:default/sentiment-classifier',
    });
    await expect(client().getCapacity(entity, '30d')).resolves.toEqual({
      entityRef: 'component:default/sentiment-classifier',
    });
    await client().getCapacity(entity);
    expect(seen).toEqual([
      get(`${ENTITY_PATH}/capacity?period=30d`),
      get(`${ENTITY_PATH}/capacity`),
    ]);
  });

  it('turns a rejected capacity period into a ResponseError naming it', async () => {
    answer(
      {
        error: {
          name: 'InputError',
          message: 'period must be one of 24h, 7d, 30d',
        },
        request: { method: 'GET', url: '/capacity' },
        response: { statusCode: 400 },
      },
      400,
    );
    await expect(
      client().getCapacity(entity, '1y' as '7d'),
    ).rejects.toMatchObject({
      name: 'ResponseError',
      statusCode: 400,
      cause: {
        name: 'InputError',
        message: 'period must be one of 24h, 7d, 30d',
      },
    });
  });

  it('turns an error response into a ResponseError with the backend’s error', async () => {
    answer(
      {
        error: {
          name: 'InputError',
          message: 'request/body/to must be equal to one of the allowed values',
        },
        request: {
          method: 'POST',
          url: '/entities/component/default/sentiment-classifier/environments/switch',
        },
        response: { statusCode: 400 },
      },
      400,
    );
    const error = await client()
      .switchEnvironment(entity, { to: 'blue' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseError);
    expect(error).toMatchObject({
      name: 'ResponseError',
      statusCode: 400,
      body: { error: { name: 'InputError' } },
      cause: {
        name: 'InputError',
        message: 'request/body/to must be equal to one of the allowed values',
      },
    });
  });

  it('turns a failure without an error body into a ResponseError too', async () => {
    server.use(
      http.get(
        `${BASE}/models`,
        () => new HttpResponse('upstream down', { status: 503 }),
      ),
    );
    await expect(client().listModels()).rejects.toMatchObject({
      name: 'ResponseError',
      statusCode: 503,
    });
  });
});
