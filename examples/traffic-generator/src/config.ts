/**
 * The command line and the optional JSON config file, validated into one {@link GeneratorConfig}.
 * Command-line options override the file; `--target` options, when given, replace its targets.
 */
import { parseArgs } from 'node:util';

export interface TargetConfig {
  name: string;
  url: string;
  weight: number;
}

export interface BurstConfig {
  target: string;
  everyMinutes: number;
  seconds: number;
  share: number;
  offsetSeconds: number;
}

export interface GeneratorConfig {
  targets: TargetConfig[];
  baseRps: number;
  durationSeconds: number;
  dayMinutes: number;
  startHour: number;
  noise: number;
  seed: number;
  longShare: number;
  burst?: BurstConfig;
  summarySeconds: number;
  timeoutMs: number;
  /** Review texts to send; undefined means the model server's `data/`. */
  dataDir?: string;
}

export const DEFAULTS = {
  baseRps: 4,
  durationSeconds: 3600,
  dayMinutes: 20,
  startHour: 8,
  noise: 0.15,
  seed: 1,
  longShare: 0.35,
  burstEveryMinutes: 4,
  burstSeconds: 90,
  burstShare: 0.3,
  burstOffsetSeconds: 30,
  summarySeconds: 30,
  timeoutMs: 2000,
} as const;

export const USAGE = `usage: node examples/traffic-generator/src/main.ts --target <model>=<url> [--target ...]
  [--config <file.json>] [--base-rps 4] [--duration 3600] [--day-minutes 20] [--start-hour 8]
  [--noise 0.15] [--seed 1] [--long-share 0.35] [--burst <model>] [--burst-every 4]
  [--burst-seconds 90] [--burst-share 0.3] [--burst-offset 30] [--summary-seconds 30]
  [--timeout 2000] [--data <dir>]`;

export class UsageError extends Error {}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** Checks a target URL: http, a loopback host, no query; returns it without a trailing slash. */
export function checkTargetUrl(name: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`target ${name}: ${raw} is not a URL`);
  }
  if (url.protocol !== 'http:')
    throw new UsageError(
      `target ${name}: only http:// URLs are supported, got ${raw}`,
    );
  if (
    !LOOPBACK_HOSTS.has(url.hostname) &&
    !/^127\.\d+\.\d+\.\d+$/.test(url.hostname)
  )
    throw new UsageError(
      `target ${name}: ${url.hostname} is not a loopback address; the generator only sends to this machine`,
    );
  if (url.search || url.hash || url.username || url.password)
    throw new UsageError(`target ${name}: ${raw} must be a plain base URL`);
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

function num(
  name: string,
  value: unknown,
  min: number,
  max: number,
  integer = false,
): number {
  const n =
    typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (
    typeof n !== 'number' ||
    !Number.isFinite(n) ||
    n < min ||
    n > max ||
    (integer && !Number.isInteger(n))
  ) {
    throw new UsageError(
      `${name} must be ${
        integer ? 'an integer' : 'a number'
      } from ${min} to ${max}, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

type FileConfig = Record<string, unknown>;

function targetsFromFile(value: unknown): TargetConfig[] {
  if (value === undefined) return [];
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new UsageError(
      'config targets must be an object: {"<model>": "<url>"} or {"<model>": {"url": "<url>", "weight": 1}}',
    );
  return Object.entries(value as Record<string, unknown>).map(
    ([name, spec]) => {
      if (typeof spec === 'string') return { name, url: spec, weight: 1 };
      if (
        typeof spec === 'object' &&
        spec !== null &&
        typeof (spec as any).url === 'string'
      ) {
        const { url, weight } = spec as { url: string; weight?: unknown };
        return {
          name,
          url,
          weight:
            weight === undefined
              ? 1
              : num(`targets.${name}.weight`, weight, 0, 100),
        };
      }
      throw new UsageError(
        `config targets.${name} must be a URL or {"url": ..., "weight": ...}`,
      );
    },
  );
}

/**
 * Parses `argv` (without `node main.ts`). `readFile` reads the `--config` file. Throws
 * {@link UsageError} on a bad option; returns `'help'` for `--help`.
 */
export function parseConfig(
  argv: string[],
  readFile: (path: string) => string,
): GeneratorConfig | 'help' {
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        target: { type: 'string', multiple: true },
        config: { type: 'string' },
        'base-rps': { type: 'string' },
        duration: { type: 'string' },
        'day-minutes': { type: 'string' },
        'start-hour': { type: 'string' },
        noise: { type: 'string' },
        seed: { type: 'string' },
        'long-share': { type: 'string' },
        burst: { type: 'string' },
        'burst-every': { type: 'string' },
        'burst-seconds': { type: 'string' },
        'burst-share': { type: 'string' },
        'burst-offset': { type: 'string' },
        'summary-seconds': { type: 'string' },
        timeout: { type: 'string' },
        data: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.help) return 'help';

  let file: FileConfig = {};
  if (typeof values.config === 'string') {
    let text: string;
    try {
      text = readFile(values.config);
    } catch (e) {
      throw new UsageError(
        `cannot read --config ${values.config}: ${(e as Error).message}`,
      );
    }
    try {
      file = JSON.parse(text);
    } catch (e) {
      throw new UsageError(
        `--config ${values.config} is not JSON: ${(e as Error).message}`,
      );
    }
    if (typeof file !== 'object' || file === null || Array.isArray(file))
      throw new UsageError(`--config ${values.config} must hold a JSON object`);
    const known = new Set([
      'targets',
      'baseRps',
      'durationSeconds',
      'dayMinutes',
      'startHour',
      'noise',
      'seed',
      'longShare',
      'burst',
      'summarySeconds',
      'timeoutMs',
      'dataDir',
    ]);
    for (const key of Object.keys(file))
      if (!known.has(key)) throw new UsageError(`--config: unknown key ${key}`);
  }
  const fileBurst = (file.burst ?? {}) as Record<string, unknown>;
  if (
    typeof fileBurst !== 'object' ||
    fileBurst === null ||
    Array.isArray(fileBurst)
  )
    throw new UsageError('config burst must be an object');

  // option value from the command line, else the file, else the default
  const pick = (cli: string, fromFile: unknown, fallback: unknown) => {
    const v = values[cli];
    if (v !== undefined) return v;
    return fromFile !== undefined ? fromFile : fallback;
  };

  const cliTargets = (values.target as string[] | undefined) ?? [];
  const targets = cliTargets.length
    ? cliTargets.map(spec => {
        const eq = spec.indexOf('=');
        if (eq <= 0 || eq === spec.length - 1)
          throw new UsageError(`--target must be <model>=<url>, got ${spec}`);
        return { name: spec.slice(0, eq), url: spec.slice(eq + 1), weight: 1 };
      })
    : targetsFromFile(file.targets);
  if (targets.length === 0)
    throw new UsageError(
      'at least one --target <model>=<url> (or config "targets") is needed',
    );
  const names = new Set<string>();
  for (const t of targets) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(t.name))
      throw new UsageError(
        `target name ${JSON.stringify(t.name)} must be a model id`,
      );
    if (names.has(t.name))
      throw new UsageError(`target ${t.name} is given twice`);
    names.add(t.name);
    t.url = checkTargetUrl(t.name, t.url);
  }

  const burstTarget = pick('burst', fileBurst.target, undefined);
  let burst: BurstConfig | undefined;
  if (burstTarget !== undefined) {
    if (typeof burstTarget !== 'string' || !names.has(burstTarget))
      throw new UsageError(
        `--burst ${String(burstTarget)} is not one of the targets (${[
          ...names,
        ].join(', ')})`,
      );
    const everyMinutes = num(
      '--burst-every',
      pick('burst-every', fileBurst.everyMinutes, DEFAULTS.burstEveryMinutes),
      0.1,
      1440,
    );
    const seconds = num(
      '--burst-seconds',
      pick('burst-seconds', fileBurst.seconds, DEFAULTS.burstSeconds),
      1,
      86400,
    );
    if (seconds > everyMinutes * 60)
      throw new UsageError(
        `--burst-seconds (${seconds}) must not exceed --burst-every (${everyMinutes} min)`,
      );
    burst = {
      target: burstTarget,
      everyMinutes,
      seconds,
      share: num(
        '--burst-share',
        pick('burst-share', fileBurst.share, DEFAULTS.burstShare),
        0,
        1,
      ),
      offsetSeconds: num(
        '--burst-offset',
        pick(
          'burst-offset',
          fileBurst.offsetSeconds,
          DEFAULTS.burstOffsetSeconds,
        ),
        0,
        86400,
      ),
    };
  }

  const dataDir = pick('data', file.dataDir, undefined);
  if (dataDir !== undefined && typeof dataDir !== 'string')
    throw new UsageError('--data must be a directory');

  return {
    targets,
    baseRps: num(
      '--base-rps',
      pick('base-rps', file.baseRps, DEFAULTS.baseRps),
      0.01,
      200,
    ),
    durationSeconds: num(
      '--duration',
      pick('duration', file.durationSeconds, DEFAULTS.durationSeconds),
      1,
      7 * 86400,
    ),
    dayMinutes: num(
      '--day-minutes',
      pick('day-minutes', file.dayMinutes, DEFAULTS.dayMinutes),
      0.1,
      1440,
    ),
    startHour: num(
      '--start-hour',
      pick('start-hour', file.startHour, DEFAULTS.startHour),
      0,
      24,
    ),
    noise: num('--noise', pick('noise', file.noise, DEFAULTS.noise), 0, 0.9),
    seed: num(
      '--seed',
      pick('seed', file.seed, DEFAULTS.seed),
      0,
      2 ** 32 - 1,
      true,
    ),
    longShare: num(
      '--long-share',
      pick('long-share', file.longShare, DEFAULTS.longShare),
      0,
      1,
    ),
    burst,
    summarySeconds: num(
      '--summary-seconds',
      pick('summary-seconds', file.summarySeconds, DEFAULTS.summarySeconds),
      1,
      86400,
    ),
    timeoutMs: num(
      '--timeout',
      pick('timeout', file.timeoutMs, DEFAULTS.timeoutMs),
      50,
      60000,
    ),
    dataDir,
  };
}
