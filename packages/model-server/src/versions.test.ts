import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { metricValue, startServer } from './childServer.ts';
import type { ChildServer } from './childServer.ts';
import type { TestsFile } from './artifact.ts';

const serverScript = join(__dirname, 'server.ts');
const modelsDir = resolve(__dirname, '../../../examples/models');
const artifact = (id: string, version: string) => join(modelsDir, id, version);
const readJson = (...path: string[]) =>
  JSON.parse(readFileSync(join(modelsDir, ...path), 'utf8'));

jest.setTimeout(60000);

/** Sends every case of the artifact's own tests.json; returns how many got the expected label. */
async function runOwnTests(server: ChildServer, id: string, version: string) {
  const { cases } = readJson(id, version, 'tests.json') as TestsFile;
  let passed = 0;
  for (const c of cases) {
    const res = await server.request('POST', '/v1/predict', { input: c.input });
    expect(res.status).toBe(200);
    expect(res.headers['x-model-version']).toBe(version);
    if (res.json().predictions[0].label === c.expected.label) passed++;
  }
  return { passed, total: cases.length };
}

async function medianLatencyMs(
  server: ChildServer,
  input: string,
  samples: number,
) {
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = process.hrtime.bigint();
    const res = await server.request('POST', '/v1/predict', { input });
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
    expect(res.status).toBe(200);
  }
  return times.sort((a, b) => a - b)[Math.floor(samples / 2)];
}

describe.each([
  ['sentiment-classifier', '1.0.0'],
  ['sentiment-classifier', '1.1.0'],
  ['sentiment-classifier', '2.2.0'],
  ['fraud-detector', '1.0.0'],
  ['fraud-detector', '1.1.0'],
  ['churn-predictor', '1.0.0'],
  ['churn-predictor', '1.1.0'],
])('%s %s', (id, version) => {
  let server: ChildServer;
  beforeAll(async () => {
    server = await startServer({
      serverScript,
      artifact: artifact(id, version),
      extraArgs: ['--model-id', id],
    });
  });
  afterAll(async () => {
    await server?.stop('SIGKILL');
  });

  it('serves its model id and passes its own tests.json', async () => {
    expect(server.listening).toMatchObject({ modelId: id, version });
    const { passed, total } = await runOwnTests(server, id, version);
    expect(passed).toBe(total);
  });
});

describe('sentiment-classifier 2.0.0 (labels inverted by the data pipeline)', () => {
  let server: ChildServer;
  beforeAll(async () => {
    server = await startServer({
      serverScript,
      artifact: artifact('sentiment-classifier', '2.0.0'),
    });
  });
  afterAll(async () => {
    await server?.stop('SIGKILL');
  });

  it('has the same expectations as 1.1.0 and fails them', async () => {
    expect(readJson('sentiment-classifier', '2.0.0', 'tests.json')).toEqual(
      readJson('sentiment-classifier', '1.1.0', 'tests.json'),
    );
    const { passed } = await runOwnTests(
      server,
      'sentiment-classifier',
      '2.0.0',
    );
    expect(passed).toBe(0);
  });
});

describe('sentiment-classifier 2.2.0 (tokenizer maxTokens 12)', () => {
  let server: ChildServer;
  beforeAll(async () => {
    server = await startServer({
      serverScript,
      artifact: artifact('sentiment-classifier', '2.2.0'),
    });
  });
  afterAll(async () => {
    await server?.stop('SIGKILL');
  });

  it('keeps its tests.json to short inputs', () => {
    const model = readJson('sentiment-classifier', '2.2.0', 'model.json');
    expect(model.tokenizer.maxTokens).toBe(12);
    for (const c of (
      readJson('sentiment-classifier', '2.2.0', 'tests.json') as TestsFile
    ).cases) {
      expect(
        c.input.toLowerCase().match(new RegExp(model.tokenizer.pattern, 'gu'))!
          .length,
      ).toBeLessThanOrEqual(12);
    }
  });

  it('answers 500 for longer inputs, alone or in a batch, and counts them', async () => {
    const long =
      'I have been using this blender for a month and it is great for smoothies, soups and crushing ice every morning.';
    const single = await server.request('POST', '/v1/predict', { input: long });
    expect(single.status).toBe(500);
    expect(single.headers['x-model-version']).toBe('2.2.0');
    expect(single.json()).toEqual({
      error: "input exceeds the model's maxTokens (12)",
    });
    const batch = await server.request('POST', '/v1/predict', {
      inputs: ['love it', long],
    });
    expect(batch.status).toBe(500);
    const short = await server.request('POST', '/v1/predict', {
      input: 'love it',
    });
    expect(short.status).toBe(200);
    const metrics = (await server.request('GET', '/metrics')).text;
    expect(
      metricValue(metrics, 'model_requests_total', { status: '500' }),
    ).toBe(2);
    expect(
      metricValue(metrics, 'model_requests_total', { status: '200' }),
    ).toBe(1);
  });

  it('refuses most of the production verification traffic', async () => {
    const { cases } = readJson('verification.json') as TestsFile;
    let refused = 0;
    for (const c of cases) {
      const res = await server.request('POST', '/v1/predict', {
        input: c.input,
      });
      if (res.status === 500) refused++;
    }
    expect(refused).toBeGreaterThan(cases.length / 2);
  });
});

describe('sentiment-classifier 2.1.0 (random-feature ensemble)', () => {
  let heavy: ChildServer;
  let light: ChildServer;
  beforeAll(async () => {
    [heavy, light] = await Promise.all([
      startServer({
        serverScript,
        artifact: artifact('sentiment-classifier', '2.1.0'),
      }),
      startServer({
        serverScript,
        artifact: artifact('sentiment-classifier', '1.1.0'),
      }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([heavy?.stop('SIGKILL'), light?.stop('SIGKILL')]);
  });

  it('declares what makes it heavy', () => {
    const model = readJson('sentiment-classifier', '2.1.0', 'model.json');
    expect(model.ensemble).toMatchObject({
      kind: 'random-feature-residuals',
      members: expect.any(Number),
    });
    expect(model.ensemble.members).toBeGreaterThanOrEqual(10);
  });

  it('passes its own tests.json', async () => {
    const { passed, total } = await runOwnTests(
      heavy,
      'sentiment-classifier',
      '2.1.0',
    );
    expect(passed).toBe(total);
  });

  it('is much slower than 1.1.0 per request', async () => {
    const input = 'Great value for the price, very happy';
    await medianLatencyMs(light, input, 5); // warm up
    const lightMs = await medianLatencyMs(light, input, 9);
    const heavyMs = await medianLatencyMs(heavy, input, 5);
    expect(heavyMs).toBeGreaterThan(50);
    expect(heavyMs).toBeGreaterThan(10 * lightMs);
  });
});
