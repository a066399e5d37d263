/**
 * Builds data/reviews.jsonl, the labelled dataset the demo models are trained on, from
 *
 *  - data/handwritten-positive.txt and data/handwritten-negative.txt: one review per line, and
 *  - the phrase templates below, composed with a seeded generator.
 *
 * Each row is {"id","text","label","source","split","batch"}: `split` is "train" or "test" (the
 * held-out set no version is ever trained on) and `batch` (1, 2 or 3, train rows only) says in
 * which data drop the row arrived; versions are trained on different batches.
 *
 * Usage: node scripts/compose-reviews.ts [--check]
 * The output is deterministic; --check fails when data/reviews.jsonl differs from what this
 * script would write.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRandom, shuffled } from '../src/random.ts';

const dataDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'data');
const outFile = join(dataDir, 'reviews.jsonl');
const SEED = 20241126;
const COMPOSED = 420;

const products = [
  'headphones',
  'blender',
  'phone case',
  'running shoes',
  'backpack',
  'coffee maker',
  'desk lamp',
  'charger',
  'keyboard',
  'mouse',
  'kettle',
  'vacuum',
  'water bottle',
  'jacket',
  'tent',
  'toaster',
  'monitor',
  'speaker',
  'smartwatch',
  'office chair',
  'frying pan',
  'air fryer',
  'router',
  'hair dryer',
  'yoga mat',
  'suitcase',
  'drill',
  'webcam',
  'earbuds',
  'rice cooker',
  'power bank',
  'sleeping bag',
  'umbrella',
  'baby monitor',
  'electric toothbrush',
];

const positiveOpeners = [
  'I love this {p}.',
  'Really happy with this {p}.',
  'Great {p} for the price.',
  'This {p} is fantastic.',
  'Best {p} I have owned.',
  'Very pleased with the {p}.',
  'The {p} is excellent.',
  'So glad I bought this {p}.',
  'Impressed with this {p}.',
  'Our new {p} is wonderful.',
  'Solid {p}, no regrets.',
  'What a great {p}.',
];
const negativeOpeners = [
  'I hate this {p}.',
  'Really unhappy with this {p}.',
  'Terrible {p}.',
  'This {p} is awful.',
  'Worst {p} I have owned.',
  'Very disappointed with the {p}.',
  'The {p} is junk.',
  'I regret buying this {p}.',
  'Do not buy this {p}.',
  'Our new {p} is a letdown.',
  'Poor {p}, lots of regrets.',
  'What a useless {p}.',
];
const positiveDetails = [
  'It works great.',
  'Works perfectly every time.',
  'The battery lasts all day.',
  'Setup took two minutes.',
  'Sturdy and well made.',
  'Arrived early and well packed.',
  'Exactly as described.',
  'Would buy again.',
  'Highly recommend it.',
  'Five stars.',
  'My family loves it.',
  'Quiet and powerful.',
  'Does the job perfectly.',
  'Not bad at all.',
  "Couldn't be happier.",
  'Worth every penny.',
  'Easy to use and easy to clean.',
  'The quality is excellent.',
  'Still going strong after months.',
  'Feels premium.',
  'Comfortable and reliable.',
  'Great value.',
  'No problems whatsoever.',
  'I use it every day.',
  'Looks beautiful.',
  'Fast shipping too.',
  'Customer service was helpful.',
  'It exceeded my expectations.',
  'Love it.',
  'Super reliable.',
  'Definitely recommend.',
  'Better than the expensive brands.',
  'Great build quality.',
  'Performs really well.',
];
const negativeDetails = [
  'It broke after a week.',
  'Stopped working after two days.',
  'Total waste of money.',
  'Cheaply made and flimsy.',
  'Returned it immediately.',
  'Does not work as advertised.',
  'Customer service never answered.',
  'Arrived damaged.',
  'Not worth the price.',
  'The battery dies in an hour.',
  'Would not recommend.',
  'Very disappointed.',
  'Terrible quality.',
  "Doesn't fit at all.",
  'Way too loud.',
  'It fell apart quickly.',
  'Not good at all.',
  'Avoid it.',
  'It overheats.',
  'Broke on the first use.',
  'The seller ignored my refund request.',
  'Poor build quality.',
  'It leaks.',
  'Uncomfortable to use.',
  'Feels cheap.',
  'Useless.',
  'It died after a month.',
  'Save your money.',
  'Nothing like the pictures.',
  'Keeps disconnecting.',
  'Worse than my old one.',
  'It stopped charging.',
  'I want a refund.',
  'Really poor.',
];
// Small complaints and small praise that the rest of the review outweighs.
const minorNegatives = [
  'Shipping was slow',
  'The box was damaged',
  "It's a bit pricey",
  'The manual is confusing',
  "It's a little heavy",
  'The color is slightly off',
  'Setup took a while',
  'The cable is short',
  'It took a week to arrive',
];
const minorPositives = [
  'It looks nice',
  'Shipping was fast',
  'The price was right',
  'The color is pretty',
  'The packaging was nice',
  'It seemed sturdy at first',
  'Setup was easy',
  'The design is lovely',
  'It arrived on time',
];

type Label = 'positive' | 'negative';
interface Row {
  id: string;
  text: string;
  label: Label;
  source: 'handwritten' | 'composed';
  split: 'train' | 'test';
  batch?: number;
}

function pick<T>(items: readonly T[], random: () => number): T {
  return items[Math.floor(random() * items.length)];
}

function compose(label: Label, random: () => number): string {
  const product = pick(products, random);
  const [openers, details, minors] =
    label === 'positive'
      ? [positiveOpeners, positiveDetails, minorNegatives]
      : [negativeOpeners, negativeDetails, minorPositives];
  const parts: string[] = [];
  const shape = random();
  if (shape < 0.25) {
    // "Small complaint, but <the real verdict>."
    const detail = pick(details, random);
    parts.push(
      `${pick(minors, random)}, but ${detail[0].toLowerCase()}${detail.slice(
        1,
      )}`,
    );
  } else {
    if (random() < 0.7) parts.push(pick(openers, random));
    const count = 1 + Math.floor(random() * 3);
    for (let i = 0; i < count; i++) {
      const detail = pick(details, random);
      if (!parts.includes(detail)) parts.push(detail);
    }
  }
  let text = parts.join(' ').replaceAll('{p}', product);
  if (random() < 0.15) text = text.toLowerCase();
  if (random() < 0.1) text = text.replace(/\.$/, '!');
  return text;
}

function readLines(file: string): string[] {
  return readFileSync(join(dataDir, file), 'utf8')
    .split('\n')
    .map(line => line.trim())
    .filter(line => line.length > 0);
}

export function buildRows(): Row[] {
  const random = createRandom(SEED);
  const texts: Array<{ text: string; label: Label; source: Row['source'] }> =
    [];
  for (const text of readLines('handwritten-positive.txt')) {
    texts.push({ text, label: 'positive', source: 'handwritten' });
  }
  for (const text of readLines('handwritten-negative.txt')) {
    texts.push({ text, label: 'negative', source: 'handwritten' });
  }
  const seen = new Set(texts.map(t => t.text.toLowerCase()));
  let attempts = 0;
  let composed = 0;
  while (composed < COMPOSED && attempts < COMPOSED * 20) {
    attempts++;
    const label: Label = composed % 2 === 0 ? 'positive' : 'negative';
    const text = compose(label, random);
    if (seen.has(text.toLowerCase())) continue;
    seen.add(text.toLowerCase());
    texts.push({ text, label, source: 'composed' });
    composed++;
  }
  return shuffled(texts, random).map((t, i) => {
    const r = random();
    const split = r < 0.2 ? 'test' : 'train';
    const row: Row = { id: `r${String(i + 1).padStart(4, '0')}`, ...t, split };
    if (split === 'train') {
      const b = random();
      row.batch = 3;
      if (b < 0.75) row.batch = 2;
      if (b < 0.45) row.batch = 1;
    }
    return row;
  });
}

function main() {
  const rows = buildRows();
  const content = `${rows.map(r => JSON.stringify(r)).join('\n')}\n`;
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(outFile, 'utf8');
    } catch {
      // missing file: reported below
    }
    if (current !== content) {
      process.stderr.write(
        `${outFile} is out of date; run node scripts/compose-reviews.ts\n`,
      );
      process.exit(1);
    }
    process.stdout.write(`${outFile} is up to date (${rows.length} rows)\n`);
    return;
  }
  writeFileSync(outFile, content);
  const count = (pred: (r: Row) => boolean) => rows.filter(pred).length;
  process.stdout.write(
    `wrote ${rows.length} rows to ${outFile}: ` +
      `${count(r => r.source === 'handwritten')} handwritten, ${count(
        r => r.source === 'composed',
      )} composed; ` +
      `${count(r => r.split === 'test')} test; ` +
      `train batches 1/2/3 = ${[1, 2, 3]
        .map(b => count(r => r.batch === b))
        .join('/')}\n`,
  );
}

main();
