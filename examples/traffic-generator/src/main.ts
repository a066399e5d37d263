/**
 * The traffic generator's command line.
 *
 *   node examples/traffic-generator/src/main.ts --target sentiment-classifier=http://127.0.0.1:7101 \
 *     [--target ...] [--config <file.json>] [--base-rps 4] [--duration 3600] [--burst <model>] ...
 *
 * Runs until --duration has passed or SIGINT/SIGTERM arrives (then stops within 2 s), printing a
 * summary line every --summary-seconds. Exit codes: 0 when done or stopped, 2 for bad options,
 * 1 when the review texts cannot be read.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig, USAGE, UsageError } from './config.ts';
import type { GeneratorConfig } from './config.ts';
import { createPlanner } from './planner.ts';
import { formatElapsed, runTraffic } from './runner.ts';
import { loadTexts } from './texts.ts';
import type { TextPool } from './texts.ts';

/** How long after a signal the process exits at the latest, whatever is still in flight. */
const HARD_STOP_MS = 1800;

const log = (line: string) =>
  process.stdout.write(
    `${new Date().toISOString()} traffic-generator ${line}\n`,
  );

function die(message: string, code: number): never {
  process.stderr.write(`traffic-generator: ${message}\n`);
  process.exit(code);
}

async function main() {
  let config: GeneratorConfig | 'help';
  try {
    config = parseConfig(process.argv.slice(2), path =>
      readFileSync(path, 'utf8'),
    );
  } catch (e) {
    if (e instanceof UsageError) die(`${e.message}\n${USAGE}`, 2);
    throw e;
  }
  if (config === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }

  const here = dirname(fileURLToPath(import.meta.url));
  const dataDir = config.dataDir
    ? resolve(config.dataDir)
    : resolve(here, '../../../packages/model-server/data');
  let texts: TextPool;
  try {
    texts = loadTexts(dataDir);
  } catch (e) {
    die(`cannot read review texts from ${dataDir}: ${(e as Error).message}`, 1);
  }

  const { burst } = config;
  const planner = createPlanner({
    targets: config.targets,
    baseRps: config.baseRps,
    dayPeriodMs: config.dayMinutes * 60_000,
    startHour: config.startHour,
    noise: config.noise,
    seed: config.seed,
    texts,
    longShare: config.longShare,
    burst: burst && {
      target: burst.target,
      share: burst.share,
      everyMs: burst.everyMinutes * 60_000,
      durationMs: burst.seconds * 1000,
      offsetMs: burst.offsetSeconds * 1000,
    },
  });

  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      log(`${signal} again: exiting now`);
      process.exit(0);
    }
    log(`${signal}: stopping`);
    controller.abort();
    setTimeout(() => {
      log('still busy: exiting anyway');
      process.exit(0);
    }, HARD_STOP_MS).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const burstText = burst
    ? `error bursts on ${burst.target}: ${Math.round(burst.share * 100)} % ` +
      `malformed for ${burst.seconds} s every ${burst.everyMinutes} min ` +
      `from ${formatElapsed(burst.offsetSeconds * 1000)}`
    : 'no error bursts';
  const targetText = config.targets.map(t => `${t.name}=${t.url}`).join(', ');
  log(
    [
      `started: ${targetText}`,
      `${config.baseRps} req/s per target on average, one day every ${config.dayMinutes} min from ${config.startHour}:00`,
      `${texts.short.length} short and ${texts.long.length} long texts`,
      burstText,
      `stops after ${formatElapsed(config.durationSeconds * 1000)}`,
    ].join('; '),
  );
  await runTraffic({
    targets: config.targets,
    planner,
    burstTarget: burst?.target,
    durationMs: config.durationSeconds * 1000,
    summaryMs: config.summarySeconds * 1000,
    timeoutMs: config.timeoutMs,
    drainMs: 1000,
    signal: controller.signal,
    log,
  });
  process.exit(0);
}

main().catch(e => die((e as Error).stack ?? String(e), 1));
