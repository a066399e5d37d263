export { MetricsStore, SLOT_AGGREGATION, combineSlots } from './MetricsStore';
export type { LatestSample } from './MetricsStore';
export {
  RuleEvaluator,
  TREND_TOLERANCE,
  alertFingerprint,
  ruleLevel,
  trend,
} from './RuleEvaluator';
export type {
  AlertReading,
  AlertTransition,
  Evaluation,
  ModelHealth,
  NewAlert,
  RuleLevel,
  SlotValue,
} from './RuleEvaluator';
export { AlertStore } from './AlertStore';
export type { AppliedTransitions } from './AlertStore';
