import {
  LifecycleService,
  LoggerService,
  RootLifecycleService,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { LocalRuntime } from './LocalRuntime';
import { LocalRuntimeSettings, readLocalRuntimeSettings } from './options';

/**
 * Options of {@link createLocalRuntime}: settings already read (what the plugin passes, from
 * its config module), or the root config to read `modelOps.local` from (tests, embedding).
 *
 * @public
 */
export type CreateLocalRuntimeOptions = {
  logger: LoggerService;
  /** When given, the runtime is shut down with it. */
  lifecycle?: LifecycleService | RootLifecycleService;
  /** The clock of `checkedAt` and `startedAt`; default `() => new Date()`. */
  clock?: () => Date;
} & (
  | {
      /** The settings, as {@link readLocalRuntimeSettings} reads them. */
      settings: LocalRuntimeSettings;
    }
  | {
      /** The root config; `modelOps.local` is read with {@link readLocalRuntimeSettings}. */
      config: Config;
      /** Where relative paths are resolved; default `process.cwd()`. */
      workingDirectory?: string;
      /** Settings that win over configuration. */
      overrides?: Partial<LocalRuntimeSettings>;
    }
);

/**
 * Creates the `local` runtime; with `lifecycle`, it is shut down with the backend.
 *
 * @public
 */
export function createLocalRuntime(
  options: CreateLocalRuntimeOptions,
): LocalRuntime {
  const settings =
    'settings' in options
      ? options.settings
      : readLocalRuntimeSettings(options.config, {
          workingDirectory: options.workingDirectory,
          overrides: options.overrides,
        });
  const runtime = new LocalRuntime({
    settings,
    logger: options.logger,
    clock: options.clock,
  });
  options.lifecycle?.addShutdownHook(() => runtime.shutdown());
  return runtime;
}
