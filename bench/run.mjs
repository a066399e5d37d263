#!/usr/bin/env node
/*
 * `yarn bench` runs every benchmark of Model Ops, each against its anchor measured in the same
 * run, prints their figures and writes them as JSON under bench/results/:
 *
 *   monitoring-tick   one monitoring tick over N `external` models read from a real Prometheus,
 *                     against Prometheus's own evaluation of the same rules (bench:tick)
 *   alert-delivery    10,000 firing alerts to one loopback webhook through the outbox, against a
 *                     real Alertmanager delivering the same alerts to the same receiver
 *                     (bench:delivery)
 *   entity-api        p95 of the entity tabs' routes over 1M alerts, 100k runs and 30 days of
 *                     samples, against a bare indexed knex query of the same rows; and a page of
 *                     GET /models at 10,000 models (bench:api)
 *   switch-under-load switch and rollback-switch at 200 req/s through the local router (bench:switch)
 *   pipeline-overhead a run's wall time minus its test workloads and health watch (bench:pipeline)
 *
 * `yarn bench --quick` is the reduced run `.ci/run` includes so the harness never rots: 100
 * models scraped every 2 s (not 5: the run's length is mostly waiting for scrapes), 1,000
 * alerts. Its figures are printed, never asserted. `--only <name>` runs one.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : '';
const resultsDir = path.join(root, 'bench', 'results');
fs.mkdirSync(resultsDir, { recursive: true });

const benchmarks = [
  {
    name: 'monitoring-tick',
    script: 'bench:tick',
    args: quick
      ? ['--models', '100', '--scrape-interval', '2']
      : ['--models', '100,1000,10000'],
  },
  {
    name: 'alert-delivery',
    script: 'bench:delivery',
    args: quick ? ['--alerts', '1000'] : ['--alerts', '10000'],
  },
  {
    name: 'entity-api',
    script: 'bench:api',
    args: quick ? ['--quick'] : [],
  },
  {
    name: 'switch-under-load',
    script: 'bench:switch',
    args: quick ? ['--quick'] : [],
  },
  {
    name: 'pipeline-overhead',
    script: 'bench:pipeline',
    args: quick ? ['--quick'] : [],
  },
].filter(b => !only || b.name === only);

if (benchmarks.length === 0) {
  console.error(`bench: no benchmark "${only}"`);
  process.exit(2);
}

const summary = [];
let failed = false;
for (const bench of benchmarks) {
  const json = path.join(
    resultsDir,
    `${bench.name}${quick ? '.quick' : ''}.json`,
  );
  const started = Date.now();
  console.log(
    `\n[bench] ${bench.name}: yarn ${bench.script} ${bench.args.join(' ')}`,
  );
  const run = spawnSync(
    'yarn',
    [
      'workspace',
      '@model-ops/plugin-model-ops-backend',
      bench.script,
      ...bench.args,
      '--json',
      json,
    ],
    { cwd: root, stdio: 'inherit', env: process.env },
  );
  const seconds = Math.round((Date.now() - started) / 1000);
  const ok = run.status === 0;
  failed ||= !ok;
  summary.push(
    `  ${ok ? 'ok    ' : 'FAILED'} ${bench.name.padEnd(18)} ${String(
      seconds,
    ).padStart(4)} s${ok ? `  ${path.relative(root, json)}` : ''}`,
  );
}
console.log(
  `\n[bench] ${
    quick ? 'quick run' : 'full run'
  } at ${new Date().toISOString()}:\n${summary.join('\n')}`,
);
process.exit(failed ? 1 : 0);
