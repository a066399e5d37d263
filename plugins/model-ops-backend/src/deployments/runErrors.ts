/**
 * Why a run stopped before its end: its lease was taken over, or it was cancelled. Kept apart
 * from the executor so that strategies can tell a cancel (restore production, then stop) from a
 * lost lease (stop at once: the run is somebody else's now).
 */

/**
 * The run was taken over by another replica (this one's lease expired or was refused).
 *
 * @internal
 */
export class LeaseLost extends Error {
  constructor(runId: string) {
    super(`The lease on run ${runId} was taken over by another replica`);
    this.name = 'LeaseLost';
  }
}

/**
 * Someone asked for the run to be cancelled.
 *
 * @internal
 */
export class RunCancelled extends Error {
  constructor() {
    super('Cancelled on request');
    this.name = 'RunCancelled';
  }
}

/**
 * Whether the run's signal was aborted by a cancel (and not by a lost lease or a shutdown).
 *
 * @internal
 */
export function isCancelled(signal: AbortSignal): boolean {
  return signal.aborted && signal.reason instanceof RunCancelled;
}
