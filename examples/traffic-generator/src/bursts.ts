/**
 * The error-burst schedule of one model: the first burst starts `offsetMs` after the start of
 * the run, then one every `everyMs`, each lasting `durationMs`. During a burst a share of that
 * model's requests are malformed, so the server answers 400 and its error rate rises.
 */

export interface BurstSchedule {
  /** Time from one burst's start to the next one's. */
  everyMs: number;
  /** How long each burst lasts; at most `everyMs`. */
  durationMs: number;
  /** When the first burst starts, from the start of the run. */
  offsetMs: number;
}

export interface BurstState {
  /** Whether `elapsedMs` falls inside a burst. */
  active: boolean;
  /** 0-based number of the current burst, or of the next one when none is active. */
  index: number;
  /** Start and end (exclusive) of that burst, from the start of the run. */
  startMs: number;
  endMs: number;
}

/** The burst in progress at `elapsedMs`, or the next one. */
export function burstAt(
  elapsedMs: number,
  schedule: BurstSchedule,
): BurstState {
  const { everyMs, durationMs, offsetMs } = schedule;
  if (!(everyMs > 0)) throw new RangeError('everyMs must be positive');
  if (!(durationMs >= 0 && durationMs <= everyMs))
    throw new RangeError('durationMs must be between 0 and everyMs');
  if (!(offsetMs >= 0)) throw new RangeError('offsetMs must not be negative');
  if (elapsedMs < offsetMs) {
    return {
      active: false,
      index: 0,
      startMs: offsetMs,
      endMs: offsetMs + durationMs,
    };
  }
  const current = Math.floor((elapsedMs - offsetMs) / everyMs);
  const startMs = offsetMs + current * everyMs;
  if (elapsedMs < startMs + durationMs) {
    return {
      active: true,
      index: current,
      startMs,
      endMs: startMs + durationMs,
    };
  }
  const nextStart = startMs + everyMs;
  return {
    active: false,
    index: current + 1,
    startMs: nextStart,
    endMs: nextStart + durationMs,
  };
}
