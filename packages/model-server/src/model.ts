/**
 * The `bow-logreg` model family: a bag-of-words (word n-gram) logistic regression, optionally
 * followed by an ensemble of random-feature residual learners (version 2.1.0 of the demo).
 *
 * The training script and the server share this file, so what is measured at training time is
 * exactly what the server computes.
 */
import { mix32 } from './random.ts';

export const MODEL_FORMAT = 'model-server/v1';
export const MODEL_FRAMEWORK = 'bow-logreg';

export type Label = 'positive' | 'negative';

export interface TokenizerSpec {
  /** Tokens are the matches of `pattern` (a JavaScript regular expression source). */
  type: 'regex';
  pattern: string;
  lowercase: boolean;
  /** The word n-gram orders turned into features, e.g. `[1]` or `[1, 2]`. */
  ngrams: number[];
  /** Inputs with more tokens than this are refused (the server answers 500). */
  maxTokens: number;
}

export interface EnsembleSpec {
  /**
   * Each member m maps the l2-normalised bag of features x to
   *   h1 = tanh(R1_m x)          (hidden[0] units, R1_m drawn per feature from seed_m)
   *   h2 = relu(R2_m h1)         (hidden[1] units, R2_m drawn from seed_m)
   *   correction_m = w_m . h2 + b_m
   * and the model's logit is the base logit plus the mean correction. R1_m and R2_m are not
   * stored: they are regenerated from the seed on every request (all of them would take
   * `members * hidden[0] * hidden[1] * 4` bytes of memory), which is what makes it slow.
   */
  kind: 'random-feature-residuals';
  members: number;
  hidden: [number, number];
  /** Multiply-adds one prediction costs (for humans; the server does not read it). */
  multiplyAddsPerPrediction: number;
  seeds: number[];
  weights: number[][];
  biases: number[];
}

export interface ModelFile {
  format: string;
  framework: string;
  modelId: string;
  version: string;
  createdAt: string;
  description: string;
  labels: [Label, Label];
  tokenizer: TokenizerSpec;
  features: { value: 'binary'; normalize: 'l2' };
  vocabulary: string[];
  weights: number[];
  bias: number;
  ensemble?: EnsembleSpec;
  training?: Record<string, unknown>;
}

export interface Prediction {
  label: Label;
  /** Confidence in `label`, 0.5 to 1. */
  score: number;
}

/** Thrown when an input has more tokens than the model's tokenizer allows. */
export class MaxTokensError extends Error {
  readonly maxTokens: number;
  constructor(maxTokens: number) {
    super(`input exceeds the model's maxTokens (${maxTokens})`);
    this.name = 'MaxTokensError';
    this.maxTokens = maxTokens;
  }
}

interface SparseVector {
  indices: number[];
  values: number[];
}

export interface Model {
  readonly file: ModelFile;
  tokenize(text: string): string[];
  /** Sparse, l2-normalised binary feature vector of `text` (throws MaxTokensError). */
  featurize(text: string): SparseVector;
  /** Logit of "positive" for each text (throws MaxTokensError). */
  logits(texts: string[]): number[];
  predict(texts: string[]): Prediction[];
}

function fail(message: string): never {
  throw new Error(`model.json: ${message}`);
}

function isFiniteNumberArray(
  value: unknown,
  length?: number,
): value is number[] {
  return (
    Array.isArray(value) &&
    (length === undefined || value.length === length) &&
    value.every(v => typeof v === 'number' && Number.isFinite(v))
  );
}

/** Checks the shape of a parsed model.json and returns it typed; throws naming the bad field. */
export function validateModelFile(json: unknown): ModelFile {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    fail('must be a JSON object');
  }
  const m = json as Record<string, unknown>;
  if (m.format !== MODEL_FORMAT)
    fail(`"format" must be "${MODEL_FORMAT}", got ${JSON.stringify(m.format)}`);
  if (m.framework !== MODEL_FRAMEWORK) {
    fail(
      `"framework" must be "${MODEL_FRAMEWORK}", got ${JSON.stringify(
        m.framework,
      )}`,
    );
  }
  for (const key of ['modelId', 'version', 'createdAt']) {
    if (typeof m[key] !== 'string' || (m[key] as string).length === 0)
      fail(`"${key}" must be a non-empty string`);
  }
  const labels = m.labels;
  if (
    !Array.isArray(labels) ||
    labels[0] !== 'negative' ||
    labels[1] !== 'positive'
  ) {
    fail('"labels" must be ["negative", "positive"]');
  }
  const t = m.tokenizer as Record<string, unknown> | undefined;
  if (typeof t !== 'object' || t === null)
    fail('"tokenizer" must be an object');
  if (t.type !== 'regex' || typeof t.pattern !== 'string')
    fail('"tokenizer" must be {"type":"regex","pattern":...}');
  try {
    RegExp(t.pattern as string, 'gu');
  } catch (e) {
    fail(
      `"tokenizer.pattern" is not a valid regular expression: ${
        (e as Error).message
      }`,
    );
  }
  if (typeof t.lowercase !== 'boolean')
    fail('"tokenizer.lowercase" must be a boolean');
  if (
    !isFiniteNumberArray(t.ngrams) ||
    t.ngrams.length === 0 ||
    t.ngrams.some(n => !Number.isInteger(n) || n < 1 || n > 5)
  ) {
    fail('"tokenizer.ngrams" must be a non-empty list of integers 1..5');
  }
  if (
    typeof t.maxTokens !== 'number' ||
    !Number.isInteger(t.maxTokens) ||
    t.maxTokens < 1
  ) {
    fail('"tokenizer.maxTokens" must be a positive integer');
  }
  const f = m.features as Record<string, unknown> | undefined;
  if (
    typeof f !== 'object' ||
    f === null ||
    f.value !== 'binary' ||
    f.normalize !== 'l2'
  ) {
    fail('"features" must be {"value":"binary","normalize":"l2"}');
  }
  if (
    !Array.isArray(m.vocabulary) ||
    m.vocabulary.some(v => typeof v !== 'string')
  ) {
    fail('"vocabulary" must be a list of strings');
  }
  if (new Set(m.vocabulary).size !== m.vocabulary.length)
    fail('"vocabulary" has duplicate entries');
  if (!isFiniteNumberArray(m.weights, m.vocabulary.length)) {
    fail(
      `"weights" must be ${m.vocabulary.length} finite numbers, one per vocabulary entry`,
    );
  }
  if (typeof m.bias !== 'number' || !Number.isFinite(m.bias))
    fail('"bias" must be a finite number');
  if (m.ensemble !== undefined) {
    const e = m.ensemble as Record<string, unknown>;
    if (e.kind !== 'random-feature-residuals')
      fail('"ensemble.kind" must be "random-feature-residuals"');
    const members = e.members;
    if (
      typeof members !== 'number' ||
      !Number.isInteger(members) ||
      members < 1 ||
      members > 10000
    ) {
      fail('"ensemble.members" must be an integer 1..10000');
    }
    if (
      !isFiniteNumberArray(e.hidden, 2) ||
      e.hidden.some(h => !Number.isInteger(h) || h < 1 || h > 65536)
    ) {
      fail('"ensemble.hidden" must be two integers 1..65536');
    }
    const [, h2] = e.hidden as number[];
    if (!isFiniteNumberArray(e.seeds, members))
      fail(`"ensemble.seeds" must be ${members} numbers`);
    if (!isFiniteNumberArray(e.biases, members))
      fail(`"ensemble.biases" must be ${members} numbers`);
    if (
      !Array.isArray(e.weights) ||
      e.weights.length !== members ||
      e.weights.some(w => !isFiniteNumberArray(w, h2))
    ) {
      fail(`"ensemble.weights" must be ${members} lists of ${h2} numbers`);
    }
  }
  return m as unknown as ModelFile;
}

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

// xorshift32 step scaled to [-1, 1): the entries of the random projections.
const INT_TO_UNIT = 1 / 2147483648;

/**
 * The hidden layer h2 of one ensemble member for one input (see EnsembleSpec). The entries of
 * R1 and R2 are drawn from xorshift32 streams seeded by the member seed (and, for R1, by the
 * feature index) while they are used, so they never need to be stored.
 */
export function memberHidden(
  seed: number,
  hidden: readonly [number, number] | readonly number[],
  x: SparseVector,
): Float64Array {
  const [h1Size, h2Size] = hidden;
  const h1 = new Float64Array(h1Size);
  for (let i = 0; i < x.indices.length; i++) {
    const v = x.values[i] * Math.sqrt(3) * INT_TO_UNIT;
    let s = mix32(seed ^ mix32(x.indices[i] + 1)) | 1;
    for (let j = 0; j < h1Size; j++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      h1[j] += v * s;
    }
  }
  const scale2 = Math.sqrt(3 / h1Size) * INT_TO_UNIT;
  const h2 = new Float64Array(h2Size);
  let s = mix32(seed ^ 0x5bd1e995) | 1;
  for (let j = 0; j < h1Size; j++) {
    const v = Math.tanh(h1[j]) * scale2;
    for (let k = 0; k < h2Size; k++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      h2[k] += v * s;
    }
  }
  for (let k = 0; k < h2Size; k++) if (h2[k] < 0) h2[k] = 0;
  return h2;
}

/** Builds the runnable model from a validated model.json. */
export function createModel(file: ModelFile): Model {
  const tokenPattern = new RegExp(file.tokenizer.pattern, 'gu');
  const index = new Map<string, number>();
  file.vocabulary.forEach((feature, i) => index.set(feature, i));
  const { maxTokens, ngrams, lowercase } = file.tokenizer;

  const tokenize = (text: string): string[] =>
    (lowercase ? text.toLowerCase() : text).match(tokenPattern) ?? [];

  const featurize = (text: string): SparseVector => {
    const tokens = tokenize(text);
    if (tokens.length > maxTokens) throw new MaxTokensError(maxTokens);
    const present = new Set<number>();
    for (const n of ngrams) {
      for (let i = 0; i + n <= tokens.length; i++) {
        const id = index.get(tokens.slice(i, i + n).join(' '));
        if (id !== undefined) present.add(id);
      }
    }
    const indices = [...present].sort((a, b) => a - b);
    const value = indices.length > 0 ? 1 / Math.sqrt(indices.length) : 0;
    return { indices, values: indices.map(() => value) };
  };

  const logits = (texts: string[]): number[] => {
    const xs = texts.map(featurize);
    const out = xs.map(x => {
      let z = file.bias;
      for (let i = 0; i < x.indices.length; i++)
        z += file.weights[x.indices[i]] * x.values[i];
      return z;
    });
    const e = file.ensemble;
    if (e) {
      const corrections = new Float64Array(xs.length);
      for (let m = 0; m < e.members; m++) {
        const w = e.weights[m];
        xs.forEach((x, b) => {
          const h = memberHidden(e.seeds[m], e.hidden, x);
          let c = e.biases[m];
          for (let k = 0; k < h.length; k++) c += w[k] * h[k];
          corrections[b] += c;
        });
      }
      for (let b = 0; b < out.length; b++) out[b] += corrections[b] / e.members;
    }
    return out;
  };

  return {
    file,
    tokenize,
    featurize,
    logits,
    predict(texts) {
      return logits(texts).map(z => {
        const p = sigmoid(z);
        return p >= 0.5
          ? { label: 'positive', score: round(p, 6) }
          : { label: 'negative', score: round(1 - p, 6) };
      });
    },
  };
}

export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export { sigmoid };
