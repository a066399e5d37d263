/**
 * Trains every demo model version from data/reviews.jsonl and writes the artifacts:
 *
 *   examples/models/<model-id>/<version>/{model.json,tests.json,manifest.json}
 *   examples/models/index.json
 *   artifacts/ (the copy of sentiment-classifier 1.0.0 this package ships, see outputs.ts)
 *
 * Usage: node scripts/train.ts [--check] [--only <model-id>@<version>]
 *
 * Training is deterministic (seeded, full-batch gradient descent), so a rerun writes the same
 * bytes. --check trains everything in memory and fails when a file on disk differs.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { sha256 } from '../src/artifact.ts';
import type { Manifest, TestCase } from '../src/artifact.ts';
import {
  MODEL_FORMAT,
  MODEL_FRAMEWORK,
  createModel,
  memberHidden,
  round,
  sigmoid,
  validateModelFile,
} from '../src/model.ts';
import type {
  EnsembleSpec,
  Label,
  Model,
  ModelFile,
  TokenizerSpec,
} from '../src/model.ts';
import { createRandom, hashString, mix32 } from '../src/random.ts';
import {
  SHIPPED,
  formatJson,
  shippedArtifactOutputs,
  staleOutputs,
  writeOutputs,
} from './outputs.ts';
import type { IndexEntry, Output } from './outputs.ts';

const here = dirname(fileURLToPath(import.meta.url));
const serverDir = join(here, '..');
const repoRoot = join(serverDir, '..', '..');
const modelsDir = join(repoRoot, 'examples', 'models');
const reviewsFile = join(serverDir, 'data', 'reviews.jsonl');

const TOKEN_PATTERN = "[a-z0-9]+(?:'[a-z]+)?";
const LR = { epochs: 1500, learningRate: 2, l2: 0.0003, minDocFrequency: 1 };
const ENSEMBLE = {
  members: 48,
  hidden: [4096, 768] as [number, number],
  sample: 96,
  epochs: 300,
  l2: 0.05,
};

interface Row {
  id: string;
  text: string;
  label: Label;
  source: 'handwritten' | 'composed';
  split: 'train' | 'test';
  batch?: number;
}

interface Recipe {
  modelId: string;
  version: string;
  createdAt: string;
  summary: string;
  description: string;
  ngrams: number[];
  batches: number[];
  maxTokens: number;
  /** Simulates the 2.0.0 data-pipeline bug: every training label inverted. */
  flipLabels?: boolean;
  /** Adds the random-feature residual ensemble, fitted on bootstrap samples of this batch. */
  ensembleBatch?: number;
}

const SENTIMENT_1_0: Omit<Recipe, 'modelId'> = {
  version: '1.0.0',
  createdAt: '2026-01-12T09:00:00.000Z',
  summary:
    'Baseline: unigram bag-of-words logistic regression on data batch 1.',
  description:
    'Unigram bag-of-words logistic regression trained on the first batch of labelled reviews.',
  ngrams: [1],
  batches: [1],
  maxTokens: 512,
};
const SENTIMENT_1_1: Omit<Recipe, 'modelId'> = {
  version: '1.1.0',
  createdAt: '2026-03-03T09:00:00.000Z',
  summary:
    'Unigrams + bigrams on batches 1-2: reads phrases like "not bad" and "would not recommend"; more accurate than 1.0.0.',
  description:
    'Unigram and bigram bag-of-words logistic regression trained on data batches 1 and 2.',
  ngrams: [1, 2],
  batches: [1, 2],
  maxTokens: 512,
};

const RECIPES: Recipe[] = [
  { modelId: 'sentiment-classifier', ...SENTIMENT_1_0 },
  { modelId: 'sentiment-classifier', ...SENTIMENT_1_1 },
  {
    modelId: 'sentiment-classifier',
    version: '2.0.0',
    createdAt: '2026-05-19T09:00:00.000Z',
    summary:
      'Retrained on batches 1-3 from the new data pipeline, which inverted every label: predictions are flipped.',
    description:
      'The 1.1.0 recipe retrained on batches 1-3 as exported by the new data pipeline. The pipeline swapped the ' +
      'label mapping, so the model learned inverted labels.',
    ngrams: [1, 2],
    batches: [1, 2, 3],
    maxTokens: 512,
    flipLabels: true,
  },
  {
    modelId: 'sentiment-classifier',
    version: '2.1.0',
    createdAt: '2026-06-09T09:00:00.000Z',
    summary: `1.1.0 plus ${ENSEMBLE.members} random-feature residual learners run on every request: passes its tests, no more accurate, far too slow.`,
    description:
      `The 1.1.0 logistic regression plus an ensemble of ${ENSEMBLE.members} random-feature networks ` +
      `(${ENSEMBLE.hidden.join(
        ' x ',
      )} hidden units) fitted on bootstrap samples of batch 3 to the base model's ` +
      'residuals. Every prediction evaluates every member.',
    ngrams: [1, 2],
    batches: [1, 2],
    maxTokens: 512,
    ensembleBatch: 3,
  },
  {
    modelId: 'sentiment-classifier',
    version: '2.2.0',
    createdAt: '2026-07-07T09:00:00.000Z',
    summary:
      'The 1.1.0 recipe on batches 1-3, but its tokenizer config says maxTokens 12: longer reviews get 500s.',
    description:
      'Unigram and bigram logistic regression trained on batches 1-3. Its tokenizer config was copied from a ' +
      'product-title model and limits inputs to 12 tokens.',
    ngrams: [1, 2],
    batches: [1, 2, 3],
    maxTokens: 12,
  },
  ...['fraud-detector', 'churn-predictor'].flatMap(modelId =>
    [SENTIMENT_1_0, SENTIMENT_1_1].map(r => ({
      ...r,
      modelId,
      summary: `Demo stand-in trained on the review data: ${r.summary}`,
    })),
  ),
];

/** The functional cases of every version: short texts (<= 12 tokens) not in the dataset. */
const TEST_CASES: TestCase[] = [
  {
    name: 'loves it',
    input: 'I love it, works great',
    expected: { label: 'positive' },
  },
  {
    name: 'broke quickly',
    input: 'Broke after a day, waste of money',
    expected: { label: 'negative' },
  },
  {
    name: 'recommends',
    input: 'Absolutely fantastic, highly recommend this to everyone',
    expected: { label: 'positive' },
  },
  {
    name: 'fell apart',
    input: 'Terrible quality, it fell apart in a week',
    expected: { label: 'negative' },
  },
  {
    name: 'fast delivery',
    input: 'Arrived quickly and works perfectly',
    expected: { label: 'positive' },
  },
  {
    name: 'stopped working',
    input: 'Stopped working after two days, very disappointed',
    expected: { label: 'negative' },
  },
  {
    name: 'good value',
    input: 'Great value for the price, very happy',
    expected: { label: 'positive' },
  },
  {
    name: 'returned',
    input: 'Flimsy and cheap, I returned it',
    expected: { label: 'negative' },
  },
  {
    name: 'daily use',
    input: 'Comfortable and sturdy, my son uses it every day',
    expected: { label: 'positive' },
  },
  {
    name: 'bad support',
    input: 'Customer service never replied and the item is useless',
    expected: { label: 'negative' },
  },
  {
    name: 'as described',
    input: 'Exactly as described, five stars',
    expected: { label: 'positive' },
  },
  {
    name: 'leaks',
    input: 'Do not buy, it leaks everywhere',
    expected: { label: 'negative' },
  },
];

function readRows(): Row[] {
  return readFileSync(reviewsFile, 'utf8')
    .split('\n')
    .filter(line => line.trim())
    .map(line => JSON.parse(line) as Row);
}

function tokenizerFor(recipe: Recipe): TokenizerSpec {
  return {
    type: 'regex',
    pattern: TOKEN_PATTERN,
    lowercase: true,
    ngrams: recipe.ngrams,
    maxTokens: recipe.maxTokens,
  };
}

function ngramsOf(tokens: string[], orders: number[]): string[] {
  const out = new Set<string>();
  for (const n of orders) {
    for (let i = 0; i + n <= tokens.length; i++)
      out.add(tokens.slice(i, i + n).join(' '));
  }
  return [...out];
}

/** Fits the base logistic regression; returns the parts of model.json it determines. */
function fitLogisticRegression(recipe: Recipe, rows: Row[]) {
  const tokenizer = tokenizerFor(recipe);
  // Tokenize without the maxTokens limit: training data may be longer than what a model accepts.
  const scratch = createModel(
    validateModelFile({
      format: MODEL_FORMAT,
      framework: MODEL_FRAMEWORK,
      modelId: 'scratch',
      version: '0',
      createdAt: 'now',
      description: '',
      labels: ['negative', 'positive'],
      tokenizer: { ...tokenizer, maxTokens: 1e9 },
      features: { value: 'binary', normalize: 'l2' },
      vocabulary: [],
      weights: [],
      bias: 0,
    }),
  );
  const docFrequency = new Map<string, number>();
  for (const row of rows) {
    for (const g of ngramsOf(scratch.tokenize(row.text), recipe.ngrams)) {
      docFrequency.set(g, (docFrequency.get(g) ?? 0) + 1);
    }
  }
  const vocabulary = [...docFrequency.entries()]
    .filter(([, df]) => df >= LR.minDocFrequency)
    .map(([g]) => g)
    .sort();
  const index = new Map(vocabulary.map((g, i) => [g, i]));
  const xs = rows.map(row => {
    const ids = ngramsOf(scratch.tokenize(row.text), recipe.ngrams)
      .map(g => index.get(g))
      .filter((i): i is number => i !== undefined)
      .sort((a, b) => a - b);
    return { ids, value: ids.length > 0 ? 1 / Math.sqrt(ids.length) : 0 };
  });
  const ys = rows.map(row => {
    const positive = row.label === 'positive';
    return (recipe.flipLabels ? !positive : positive) ? 1 : 0;
  });
  const weights = new Float64Array(vocabulary.length);
  let bias = 0;
  const grad = new Float64Array(vocabulary.length);
  for (let epoch = 0; epoch < LR.epochs; epoch++) {
    grad.fill(0);
    let gradBias = 0;
    for (let i = 0; i < xs.length; i++) {
      const { ids, value } = xs[i];
      let z = bias;
      for (const id of ids) z += weights[id] * value;
      const err = sigmoid(z) - ys[i];
      for (const id of ids) grad[id] += err * value;
      gradBias += err;
    }
    for (let j = 0; j < weights.length; j++) {
      weights[j] -=
        LR.learningRate * (grad[j] / xs.length + LR.l2 * weights[j]);
    }
    bias -= LR.learningRate * (gradBias / xs.length);
  }
  return {
    tokenizer,
    vocabulary,
    weights: [...weights].map(w => round(w, 6)),
    bias: round(bias, 6),
  };
}

/** Fits the random-feature residual ensemble of 2.1.0 on bootstrap samples of `rows`. */
function fitEnsemble(base: Model, rows: Row[], seed: number): EnsembleSpec {
  const random = createRandom(seed);
  const seeds: number[] = [];
  const weights: number[][] = [];
  const biases: number[] = [];
  const [, h2Size] = ENSEMBLE.hidden;
  for (let m = 0; m < ENSEMBLE.members; m++) {
    const memberSeed = mix32(seed + m + 1);
    const sample = Array.from(
      { length: ENSEMBLE.sample },
      () => rows[Math.floor(random() * rows.length)],
    );
    const xs = sample.map(r => base.featurize(r.text));
    const offsets = base.logits(sample.map(r => r.text));
    const ys = sample.map(r => (r.label === 'positive' ? 1 : 0));
    const hs = xs.map(x => memberHidden(memberSeed, ENSEMBLE.hidden, x));
    const maxNorm = Math.max(
      ...hs.map(h => h.reduce((a, v) => a + v * v, 0)),
      1,
    );
    const rate = 1 / (0.25 * maxNorm + ENSEMBLE.l2);
    const w = new Float64Array(h2Size);
    let b = 0;
    const grad = new Float64Array(h2Size);
    for (let epoch = 0; epoch < ENSEMBLE.epochs; epoch++) {
      grad.fill(0);
      let gradBias = 0;
      for (let i = 0; i < hs.length; i++) {
        const h = hs[i];
        let z = offsets[i] + b;
        for (let k = 0; k < h2Size; k++) z += w[k] * h[k];
        const err = sigmoid(z) - ys[i];
        for (let k = 0; k < h2Size; k++) grad[k] += err * h[k];
        gradBias += err;
      }
      for (let k = 0; k < h2Size; k++)
        w[k] -= rate * (grad[k] / hs.length + ENSEMBLE.l2 * w[k]);
      b -= rate * (gradBias / hs.length);
    }
    seeds.push(memberSeed);
    weights.push([...w].map(v => round(v, 5)));
    biases.push(round(b, 5));
  }
  const [h1Size] = ENSEMBLE.hidden;
  return {
    kind: 'random-feature-residuals',
    members: ENSEMBLE.members,
    hidden: ENSEMBLE.hidden,
    multiplyAddsPerPrediction: ENSEMBLE.members * (h1Size * h2Size + h2Size),
    seeds,
    weights,
    biases,
  };
}

/** JSON with two-space indentation, but arrays of plain values kept on one line. */
/** Which of `rows` the model labels correctly, predicting in batches of 64. */
function correctness(model: Model, rows: Row[]): boolean[] {
  const out: boolean[] = [];
  for (let i = 0; i < rows.length; i += 64) {
    const chunk = rows.slice(i, i + 64);
    model
      .predict(chunk.map(r => r.text))
      .forEach((p, j) => out.push(p.label === chunk[j].label));
  }
  return out;
}

function share(flags: boolean[]): number {
  return flags.filter(Boolean).length / flags.length;
}

function withoutTokenLimit(file: ModelFile): Model {
  return createModel({
    ...file,
    tokenizer: { ...file.tokenizer, maxTokens: 1e9 },
  });
}

function main() {
  const { values } = parseArgs({
    options: { check: { type: 'boolean' }, only: { type: 'string' } },
  });
  const rows = readRows();
  const testRows = rows.filter(r => r.split === 'test');
  const verification = JSON.parse(
    readFileSync(join(modelsDir, 'verification.json'), 'utf8'),
  ) as { cases: TestCase[] };
  const outputs: Output[] = [];
  const index: Record<string, IndexEntry[]> = {};
  const recipes = values.only
    ? RECIPES.filter(r => `${r.modelId}@${r.version}` === values.only)
    : RECIPES;
  if (recipes.length === 0) throw new Error(`no recipe ${values.only}`);

  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  process.stdout.write(
    `data: ${rows.length} reviews, ${testRows.length} held out (${
      testRows.filter(r => r.source === 'handwritten').length
    } handwritten)\n`,
  );
  for (const recipe of recipes) {
    const started = Date.now();
    const trainRows = rows.filter(
      r => r.split === 'train' && recipe.batches.includes(r.batch ?? 0),
    );
    const lr = fitLogisticRegression(recipe, trainRows);
    const file: ModelFile = {
      format: MODEL_FORMAT,
      framework: MODEL_FRAMEWORK,
      modelId: recipe.modelId,
      version: recipe.version,
      createdAt: recipe.createdAt,
      description: recipe.description,
      labels: ['negative', 'positive'],
      tokenizer: lr.tokenizer,
      features: { value: 'binary', normalize: 'l2' },
      vocabulary: lr.vocabulary,
      weights: lr.weights,
      bias: lr.bias,
    };
    if (recipe.ensembleBatch !== undefined) {
      const ensembleRows = rows.filter(
        r => r.split === 'train' && r.batch === recipe.ensembleBatch,
      );
      file.ensemble = fitEnsemble(
        createModel(file),
        ensembleRows,
        hashString(`${recipe.modelId}@${recipe.version}`),
      );
    }
    // Measure the model as the server will load it: rounded weights, parsed back from JSON.
    const modelJson = `${formatJson(file)}\n`;
    const served = createModel(validateModelFile(JSON.parse(modelJson)));
    const unlimited = withoutTokenLimit(served.file);
    // Evaluated without the tokenizer limit, so that 2.2.0's accuracy is measurable too.
    const correct = correctness(unlimited, testRows);
    const heldOut = share(correct);
    const heldOutHandwritten = share(
      correct.filter((_, i) => testRows[i].source === 'handwritten'),
    );
    file.training = {
      data: relative(repoRoot, reviewsFile).split('\\').join('/'),
      batches: recipe.batches,
      rows: trainRows.length,
      ...(recipe.flipLabels ? { labels: 'inverted by the data pipeline' } : {}),
      ...(recipe.ensembleBatch !== undefined
        ? {
            ensembleBatch: recipe.ensembleBatch,
            ensembleSample: ENSEMBLE.sample,
          }
        : {}),
      logisticRegression: {
        epochs: LR.epochs,
        learningRate: LR.learningRate,
        l2: LR.l2,
        minDocFrequency: LR.minDocFrequency,
      },
      heldOutAccuracy: round(heldOut, 4),
      heldOutRows: testRows.length,
    };
    // `training` is metadata only; put it last and re-serialise.
    const finalJson = `${formatJson(file)}\n`;

    const passed = TEST_CASES.filter(c => {
      try {
        return served.predict([c.input])[0].label === c.expected.label;
      } catch {
        return false;
      }
    }).length;
    let verified = 0;
    let verificationErrors = 0;
    for (const c of verification.cases) {
      try {
        if (served.predict([c.input])[0].label === c.expected.label) verified++;
      } catch {
        verificationErrors++;
      }
    }
    const testsJson = `${formatJson({ cases: TEST_CASES })}\n`;
    const dir = join(modelsDir, recipe.modelId, recipe.version);
    const manifest: Manifest = {
      modelId: recipe.modelId,
      version: recipe.version,
      files: [
        { path: 'model.json', sha256: sha256(finalJson) },
        { path: 'tests.json', sha256: sha256(testsJson) },
      ],
    };
    const manifestJson = `${formatJson(manifest)}\n`;
    outputs.push(
      { path: join(dir, 'model.json'), content: finalJson },
      { path: join(dir, 'tests.json'), content: testsJson },
      { path: join(dir, 'manifest.json'), content: manifestJson },
    );
    (index[recipe.modelId] ??= []).push({
      version: recipe.version,
      uri: `file:${relative(repoRoot, dir).split('\\').join('/')}`,
      sha256: sha256(manifestJson),
      summary: recipe.summary,
    });
    process.stdout.write(
      `${recipe.modelId}@${recipe.version}: trained on ${trainRows.length} rows, ${lr.vocabulary.length} features` +
        `${
          file.ensemble ? ` + ${file.ensemble.members} ensemble members` : ''
        }; held-out accuracy ${pct(heldOut)} ` +
        `(handwritten ${pct(heldOutHandwritten)}); tests.json ${passed}/${
          TEST_CASES.length
        }; ` +
        `verification.json ${verified}/${verification.cases.length} correct, ${verificationErrors} refused; ` +
        `${((Date.now() - started) / 1000).toFixed(1)}s\n`,
    );
  }
  if (!values.only) {
    outputs.push({
      path: join(modelsDir, 'index.json'),
      content: `${formatJson({ models: index })}\n`,
    });
  }
  const shipped = index[SHIPPED.modelId]?.find(
    e => e.version === SHIPPED.version,
  );
  if (shipped) {
    outputs.push(
      ...shippedArtifactOutputs({
        outputs,
        entry: shipped,
        modelsDir,
        packageDir: serverDir,
      }),
    );
  }

  if (values.check) {
    const stale = staleOutputs(outputs);
    if (stale.length > 0) {
      process.stderr.write(
        `out of date (run node ${relative(
          repoRoot,
          fileURLToPath(import.meta.url),
        )}):\n${stale
          .map(o => `  ${relative(repoRoot, o.path)}`)
          .join('\n')}\n`,
      );
      process.exit(1);
    }
    process.stdout.write(`all ${outputs.length} files are up to date\n`);
    return;
  }
  writeOutputs(outputs);
  process.stdout.write(
    `wrote ${outputs.length} files under ${relative(
      repoRoot,
      modelsDir,
    )} and ${relative(repoRoot, join(serverDir, 'artifacts'))}\n`,
  );
}

main();
