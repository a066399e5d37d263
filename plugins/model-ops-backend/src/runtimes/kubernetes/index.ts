export {
  KubernetesRuntime,
  createKubernetesRuntime,
} from './KubernetesRuntime';
export type { KubernetesRuntimeOptions } from './KubernetesRuntime';
export { KUBERNETES_DEPLOYMENT_CONFIG_SCHEMA } from './deploymentConfig';
export { readKubernetesRuntimeSettings } from './settings';
export type {
  KubernetesClusterSettings,
  KubernetesRuntimeSettings,
} from './settings';
