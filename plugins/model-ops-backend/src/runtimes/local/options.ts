import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import fs from 'node:fs';
import path from 'node:path';

/**
 * Settings of the `local` runtime, as read from `modelOps.local` or given directly.
 *
 * @public
 */
export interface LocalRuntimeSettings {
  /** Absolute folder for state files, logs and the router token. */
  stateDir: string;
  /** The model server each slot runs. */
  server: {
    command: string;
    /** Arguments with `{artifact}`, `{port}`, `{modelId}`, `{version}` and `{slot}` placeholders. */
    args: string[];
    cwd: string;
    env: Record<string, string>;
  };
  /** Fixed router ports by model id. */
  routerPorts: Record<string, number>;
  /** Inclusive range routers of other models get their port from. */
  routerPortRange: { from: number; to: number };
  /** The router script (`assets/local-router.cjs`). */
  routerScript: string;
  startupTimeoutSeconds: number;
  stopTimeoutSeconds: number;
  /** Timeout of one health check. */
  healthTimeoutMs: number;
  logMaxBytes: number;
  keepRunningOnShutdown: boolean;
}

/**
 * The default router port range, `7100-7199`.
 *
 * @internal
 */
export const DEFAULT_ROUTER_PORT_RANGE = { from: 7100, to: 7199 };

/**
 * The root of the monorepo: the nearest folder at or above `from` whose package.json declares
 * `workspaces`; `from` itself when there is none.
 *
 * @public
 */
export function findRepoRoot(from: string = process.cwd()): string {
  let dir = path.resolve(from);
  for (;;) {
    try {
      const pkg = JSON.parse(
        fs.readFileSync(path.join(dir, 'package.json'), 'utf8'),
      );
      if (pkg && pkg.workspaces) {
        return dir;
      }
    } catch {
      // no package.json here
    }
    const parent = path.dirname(dir);
    if (parent === dir) {
      return path.resolve(from);
    }
    dir = parent;
  }
}

/**
 * The folder of the `local` runtime's state: `modelOps.local.stateDir` resolved against the
 * working directory, else `.model-ops/local` in the monorepo root.
 *
 * @public
 */
export function resolveLocalStateDir(
  config: Config,
  workingDirectory: string = process.cwd(),
): string {
  const configured = config.getOptionalString('modelOps.local.stateDir');
  if (configured) {
    return path.resolve(workingDirectory, configured);
  }
  return path.join(findRepoRoot(workingDirectory), '.model-ops', 'local');
}

/**
 * The command of `@model-ops/model-server`, a dependency of this plugin, so the local runtime
 * runs models in any Backstage app without configuration. The package's `bin` is the one place
 * that names the script.
 */
function defaultServerScript(): string {
  const manifest = resolvePackagePath(
    '@model-ops/model-server',
    'package.json',
  );
  const { bin } = JSON.parse(fs.readFileSync(manifest, 'utf8'));
  const script =
    typeof bin === 'string' ? bin : bin?.['model-ops-model-server'];
  if (typeof script !== 'string') {
    throw new Error(`${manifest} declares no model-ops-model-server bin`);
  }
  return path.resolve(path.dirname(manifest), script);
}

function defaultRouterScript(): string {
  return resolvePackagePath(
    '@model-ops/plugin-model-ops-backend',
    'assets/local-router.cjs',
  );
}

/**
 * Parses `7100-7199`.
 *
 * @internal
 */
export function parsePortRange(
  value: string,
  key: string,
): { from: number; to: number } {
  const match = value.trim().match(/^(\d{1,5})\s*-\s*(\d{1,5})$/);
  const from = match ? Number(match[1]) : NaN;
  const to = match ? Number(match[2]) : NaN;
  if (!match || from < 1 || to > 65535 || from > to) {
    throw new Error(
      `Invalid port range "${value}" at ${key}; expected e.g. "7100-7199" within 1-65535`,
    );
  }
  return { from, to };
}

function positive(
  value: number | undefined,
  key: string,
  fallback: number,
): number {
  if (value === undefined) {
    return fallback;
  }
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`Invalid ${key}: expected a positive number, got ${value}`);
  }
  return value;
}

/**
 * Reads `modelOps.local` into settings; `overrides` win over configuration.
 *
 * @public
 */
export function readLocalRuntimeSettings(
  config: Config,
  options: {
    workingDirectory?: string;
    overrides?: Partial<LocalRuntimeSettings>;
  } = {},
): LocalRuntimeSettings {
  const workingDirectory = options.workingDirectory ?? process.cwd();
  const local = config.getOptionalConfig('modelOps.local');
  const repoRoot = findRepoRoot(workingDirectory);
  const serverConfig = local?.getOptionalConfig('server');

  const routerPorts: Record<string, number> = {};
  const portsConfig = local?.getOptionalConfig('routerPorts');
  for (const modelId of portsConfig?.keys() ?? []) {
    const port = portsConfig!.getNumber(modelId);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new Error(`Invalid modelOps.local.routerPorts.${modelId}: ${port}`);
    }
    routerPorts[modelId] = port;
  }
  const rangeValue = local?.getOptionalString('routerPortRange');
  const serverEnv: Record<string, string> = {};
  const envConfig = serverConfig?.getOptionalConfig('env');
  for (const name of envConfig?.keys() ?? []) {
    serverEnv[name] = envConfig!.getString(name);
  }

  const settings: LocalRuntimeSettings = {
    stateDir: resolveLocalStateDir(config, workingDirectory),
    server: {
      command: serverConfig?.getOptionalString('command') ?? process.execPath,
      args: serverConfig?.getOptionalStringArray('args') ?? [
        defaultServerScript(),
        '--artifact',
        '{artifact}',
        '--port',
        '{port}',
        '--host',
        '127.0.0.1',
        '--model-id',
        '{modelId}',
      ],
      cwd: path.resolve(
        workingDirectory,
        serverConfig?.getOptionalString('cwd') ?? repoRoot,
      ),
      env: serverEnv,
    },
    routerPorts,
    routerPortRange: rangeValue
      ? parsePortRange(rangeValue, 'modelOps.local.routerPortRange')
      : DEFAULT_ROUTER_PORT_RANGE,
    routerScript: defaultRouterScript(),
    startupTimeoutSeconds: positive(
      local?.getOptionalNumber('startupTimeoutSeconds'),
      'modelOps.local.startupTimeoutSeconds',
      30,
    ),
    stopTimeoutSeconds: positive(
      local?.getOptionalNumber('stopTimeoutSeconds'),
      'modelOps.local.stopTimeoutSeconds',
      10,
    ),
    healthTimeoutMs: 2000,
    logMaxBytes: positive(
      local?.getOptionalNumber('logMaxBytes'),
      'modelOps.local.logMaxBytes',
      1024 * 1024,
    ),
    keepRunningOnShutdown:
      local?.getOptionalBoolean('keepRunningOnShutdown') ?? false,
  };
  return {
    ...settings,
    ...options.overrides,
    server: { ...settings.server, ...options.overrides?.server },
  };
}
