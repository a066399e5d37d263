import type { RunStatus, StageName } from './generated';

/**
 * Run statuses that mean the run is still going.
 *
 * @public
 */
export const ACTIVE_RUN_STATUSES: readonly RunStatus[] = ['pending', 'running'];

/**
 * Every stage, in the order a deploy run goes through them.
 *
 * @public
 */
export const STAGE_NAMES: readonly StageName[] = [
  'validation',
  'testing',
  'staging',
  'production',
];
