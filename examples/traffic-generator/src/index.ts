/**
 * The traffic generator's pure parts (profile, burst schedule, planner, config) and the runner,
 * for tests and for scripts that want to drive traffic themselves.
 */
export {
  dayProfile,
  hourAt,
  PROFILE_LANDMARKS,
  PROFILE_MAX,
  PROFILE_MIN,
} from './profile.ts';
export { burstAt } from './bursts.ts';
export type { BurstSchedule, BurstState } from './bursts.ts';
export { createPlanner } from './planner.ts';
export type {
  BurstOptions,
  PlannedRequest,
  Planner,
  PlannerOptions,
  PlannerTarget,
} from './planner.ts';
export {
  countTokens,
  loadTexts,
  MALFORMED_BODIES,
  SHORT_MAX_TOKENS,
  splitTexts,
} from './texts.ts';
export type { TextPool } from './texts.ts';
export {
  checkTargetUrl,
  DEFAULTS,
  parseConfig,
  USAGE,
  UsageError,
} from './config.ts';
export type { BurstConfig, GeneratorConfig, TargetConfig } from './config.ts';
export {
  formatElapsed,
  formatSummary,
  postPredict,
  runTraffic,
} from './runner.ts';
export type {
  RunOptions,
  RunResult,
  RunTarget,
  TargetStats,
} from './runner.ts';
export { createRandom } from './random.ts';
