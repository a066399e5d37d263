/**
 * The request bodies: real review texts from the model server's dataset, and the malformed
 * bodies sent during error bursts.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Texts with more tokens than this are "long" (the limit that trips sentiment-classifier 2.2.0). */
export const SHORT_MAX_TOKENS = 12;

export interface TextPool {
  /** At most {@link SHORT_MAX_TOKENS} tokens. */
  short: string[];
  /** More than {@link SHORT_MAX_TOKENS} tokens. */
  long: string[];
}

/** Tokens as the demo models count them (lower-cased words and numbers). */
export function countTokens(text: string): number {
  return text.toLowerCase().match(/[a-z0-9]+(?:'[a-z]+)?/g)?.length ?? 0;
}

/** Splits texts into short and long ones, dropping blanks and duplicates; keeps the order. */
export function splitTexts(texts: Iterable<string>): TextPool {
  const pool: TextPool = { short: [], long: [] };
  const seen = new Set<string>();
  for (const raw of texts) {
    const text = raw.trim();
    if (!text || seen.has(text)) continue;
    seen.add(text);
    (countTokens(text) > SHORT_MAX_TOKENS ? pool.long : pool.short).push(text);
  }
  return pool;
}

/**
 * Reads the review texts of a data directory: the `text` field of every `*.jsonl` line and every
 * non-blank line of every `*.txt` file (lines starting with `#` are comments).
 */
export function loadTexts(dataDir: string): TextPool {
  const texts: string[] = [];
  for (const name of readdirSync(dataDir).sort()) {
    const content = () => readFileSync(join(dataDir, name), 'utf8');
    if (name.endsWith('.jsonl')) {
      for (const line of content().split('\n')) {
        if (!line.trim()) continue;
        try {
          const row = JSON.parse(line) as { text?: unknown };
          if (typeof row.text === 'string') texts.push(row.text);
        } catch {
          // a broken line is skipped; the rest of the file still counts
        }
      }
    } else if (name.endsWith('.txt')) {
      for (const line of content().split('\n')) {
        if (!line.trim().startsWith('#')) texts.push(line);
      }
    }
  }
  const pool = splitTexts(texts);
  if (pool.short.length + pool.long.length === 0) {
    throw new Error(`no review texts found in ${dataDir}`);
  }
  return pool;
}

/**
 * Bodies the model server answers with 400 (each names a different field problem), given a real
 * text to make them look like client bugs rather than noise.
 */
export const MALFORMED_BODIES: ReadonlyArray<(text: string) => string> = [
  // truncated JSON
  text => JSON.stringify({ input: text }).slice(0, -2),
  // the wrong field name
  text => JSON.stringify({ text }),
  // an empty input
  () => JSON.stringify({ input: '   ' }),
  // a number instead of a string
  () => JSON.stringify({ input: 42 }),
  // both fields at once
  text => JSON.stringify({ input: text, inputs: [text] }),
  // an empty batch
  () => JSON.stringify({ inputs: [] }),
  // not an object
  text => JSON.stringify([text]),
];
