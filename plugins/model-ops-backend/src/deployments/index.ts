/**
 * The deployments capability: runs through the pipeline (validation, testing, staging,
 * production by strategy), the worker that executes them, and the tasks that keep production
 * running. Other folders import it only through this file.
 */
export { createDeployments } from './createDeployments';
export type { DeploymentsDeps } from './createDeployments';
export type { DeploymentsService } from './DeploymentsService';
export { DefaultDeploymentsService } from './DefaultDeploymentsService';
export { DEFAULT_BUDGETS, DEFAULT_CANARY_OPTIONS } from './options';
export type {
  CanaryOptions,
  DeploymentsOptions,
  PipelineBudgets,
  PipelineOptions,
} from './options';
export { PRODUCTION_STEPS, isSwitchFailure } from './ProductionSwitch';
export type {
  ProductionHealthLimits,
  ProductionStep,
  ProductionSwitch,
  ProductionSwitchFailure,
  ProductionSwitchRequest,
} from './ProductionSwitch';
export { DatabaseRunStore } from './DatabaseRunStore';
export type {
  NewRun,
  RunChanges,
  RunStore,
  StageUpdate,
  StoredRun,
  SucceededVersion,
} from './RunStore';
export { ArtifactFetcher } from './ArtifactFetcher';
export { DEFAULT_MAX_ARTIFACT_BYTES } from './artifacts/ArtifactError';
export { PipelineWorker } from './PipelineWorker';
export { ProductionReconciler } from './ProductionReconciler';
