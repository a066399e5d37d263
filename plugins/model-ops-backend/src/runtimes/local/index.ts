export { LocalRuntime } from './LocalRuntime';
export type { LocalRuntimeOptions } from './LocalRuntime';
export { createLocalRuntime } from './createLocalRuntime';
export type { CreateLocalRuntimeOptions } from './createLocalRuntime';
export { LOCAL_DEPLOYMENT_CONFIG_SCHEMA } from './deploymentConfig';
export {
  readLocalRuntimeSettings,
  resolveLocalStateDir,
  findRepoRoot,
} from './options';
export type { LocalRuntimeSettings } from './options';
