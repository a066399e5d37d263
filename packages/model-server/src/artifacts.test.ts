import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadArtifact, sha256 } from './artifact.ts';
import type { TestsFile } from './artifact.ts';

const repoRoot = resolve(__dirname, '../../..');
const modelsDir = join(repoRoot, 'examples', 'models');

interface IndexEntry {
  version: string;
  uri: string;
  sha256: string;
  summary: string;
}
const index = JSON.parse(
  readFileSync(join(modelsDir, 'index.json'), 'utf8'),
) as {
  models: Record<string, IndexEntry[]>;
};
const entries = Object.entries(index.models).flatMap(([id, versions]) =>
  versions.map(v => [id, v.version, v] as const),
);

describe('examples/models/index.json', () => {
  it('lists the demo versions', () => {
    expect(Object.keys(index.models).sort()).toEqual([
      'churn-predictor',
      'fraud-detector',
      'sentiment-classifier',
    ]);
    expect(index.models['sentiment-classifier'].map(v => v.version)).toEqual([
      '1.0.0',
      '1.1.0',
      '2.0.0',
      '2.1.0',
      '2.2.0',
    ]);
    expect(index.models['fraud-detector'].map(v => v.version)).toEqual([
      '1.0.0',
      '1.1.0',
    ]);
    expect(index.models['churn-predictor'].map(v => v.version)).toEqual([
      '1.0.0',
      '1.1.0',
    ]);
  });

  it.each(entries)(
    '%s %s matches the artifact on disk',
    (id, _version, entry) => {
      expect(entry.uri).toBe(`file:examples/models/${id}/${entry.version}`);
      expect(entry.summary).toMatch(/^[^\n]{10,200}$/);
      const dir = join(repoRoot, entry.uri.slice('file:'.length));
      const manifestBytes = readFileSync(join(dir, 'manifest.json'));
      expect(sha256(manifestBytes)).toBe(entry.sha256);

      const manifest = JSON.parse(manifestBytes.toString('utf8'));
      expect(manifest).toMatchObject({ modelId: id, version: entry.version });
      expect(manifest.files.map((f: { path: string }) => f.path)).toEqual([
        'model.json',
        'tests.json',
      ]);
      for (const file of manifest.files) {
        expect(sha256(readFileSync(join(dir, file.path)))).toBe(file.sha256);
      }

      const loaded = loadArtifact(dir);
      expect(loaded.sha256).toBe(entry.sha256);
      expect(loaded.model.file).toMatchObject({
        format: 'model-server/v1',
        framework: 'bow-logreg',
        modelId: id,
        version: entry.version,
      });
      expect(loaded.tests.cases.length).toBeGreaterThanOrEqual(8);
      expect(loaded.tests.cases.length).toBeLessThanOrEqual(15);
    },
  );
});

describe('artifacts/, the demo artifact the package ships', () => {
  const shippedDir = join(__dirname, '..', 'artifacts');
  const shipped = JSON.parse(
    readFileSync(join(shippedDir, 'index.json'), 'utf8'),
  ) as { models: Record<string, IndexEntry[]> };

  it('is sentiment-classifier 1.0.0, byte for byte as in examples/models', () => {
    const [entry] = shipped.models['sentiment-classifier'];
    expect(Object.keys(shipped.models)).toEqual(['sentiment-classifier']);
    expect(entry).toEqual({
      ...index.models['sentiment-classifier'][0],
      uri: 'file:node_modules/@model-ops/model-server/artifacts/sentiment-classifier/1.0.0',
    });
    const dir = join(shippedDir, 'sentiment-classifier', '1.0.0');
    const original = join(modelsDir, 'sentiment-classifier', '1.0.0');
    for (const file of ['manifest.json', 'model.json', 'tests.json']) {
      expect(readFileSync(join(dir, file))).toEqual(
        readFileSync(join(original, file)),
      );
    }
    expect(loadArtifact(dir).sha256).toBe(entry.sha256);
  });
});

describe('the training data and verification traffic', () => {
  const rows = readFileSync(
    join(__dirname, '..', 'data', 'reviews.jsonl'),
    'utf8',
  )
    .trim()
    .split('\n')
    .map(line => JSON.parse(line));

  it('is a few hundred labelled reviews, both labels, with a held-out split', () => {
    expect(rows.length).toBeGreaterThan(300);
    expect(new Set(rows.map(r => r.id)).size).toBe(rows.length);
    for (const label of ['positive', 'negative']) {
      expect(rows.filter(r => r.label === label).length).toBeGreaterThan(
        rows.length / 3,
      );
    }
    expect(rows.filter(r => r.split === 'test').length).toBeGreaterThan(50);
  });

  it('does not contain the functional test inputs', () => {
    const texts = new Set(rows.map(r => r.text.toLowerCase()));
    const cases = (
      JSON.parse(
        readFileSync(
          join(modelsDir, 'sentiment-classifier', '1.1.0', 'tests.json'),
          'utf8',
        ),
      ) as TestsFile
    ).cases;
    for (const c of cases) expect(texts.has(c.input.toLowerCase())).toBe(false);
  });

  it('has ~20 production-like verification texts, many longer than 20 tokens', () => {
    const { cases } = JSON.parse(
      readFileSync(join(modelsDir, 'verification.json'), 'utf8'),
    ) as TestsFile;
    expect(cases.length).toBeGreaterThanOrEqual(15);
    expect(cases.length).toBeLessThanOrEqual(30);
    const long = cases.filter(c => c.input.split(/\s+/).length > 20);
    expect(long.length).toBeGreaterThanOrEqual(cases.length / 2);
  });
});
