/**
 * The environments capability: a model's blue and green colors, traffic switching between them
 * (which the pipeline's strategies also use), the switch history, and cooling idle colors down.
 * Other folders import it only through this file.
 */
export {
  createEnvironments,
  createTrafficSwitching,
} from './createEnvironments';
export type {
  EnvironmentsDeps,
  TrafficSwitchingDeps,
} from './createEnvironments';
export type {
  ActiveRunRef,
  EnvironmentsDeployments,
  EnvironmentsService,
} from './EnvironmentsService';
export { DefaultEnvironmentsService } from './DefaultEnvironmentsService';
export { SwitchFailure } from './TrafficSwitching';
export type {
  CanaryAbortRecord,
  HealthLimits,
  SwitchRequest,
  SwitchStep,
  TrafficSwitching,
} from './TrafficSwitching';
export { TrafficSwitcher } from './TrafficSwitcher';
export type { SwitchOptions } from './TrafficSwitcher';
export { healthLimitsOf } from './healthLimits';
export { DatabaseSwitchStore } from './DatabaseSwitchStore';
export type {
  ActiveColor,
  NewSwitch,
  SwitchCommit,
  SwitchIntent,
  SwitchOutcome,
  SwitchStore,
  TakenOverSwitch,
} from './SwitchStore';
export { SwitchRecovery } from './SwitchRecovery';
export type { RuntimeOf } from './SwitchRecovery';
export { SwitchLease, SwitchLeaseLost } from './SwitchLease';
export { TrafficReconciler } from './TrafficReconciler';
export type { ReconcileResult } from './TrafficReconciler';
export {
  DEFAULT_SWITCH_LEASE_SECONDS,
  processSwitchOwner,
} from './switchOwner';
export { WarmColorCooldown } from './WarmColorCooldown';
