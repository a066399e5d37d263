export {
  LocalRuntime,
  createLocalRuntime,
  LOCAL_DEPLOYMENT_CONFIG_SCHEMA,
} from './LocalRuntime';
export type { LocalRuntimeOptions } from './LocalRuntime';
export {
  readLocalRuntimeSettings,
  resolveLocalStateDir,
  findRepoRoot,
} from './options';
export type { LocalRuntimeSettings } from './options';
