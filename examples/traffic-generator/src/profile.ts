/**
 * The daily traffic shape: low at night, a peak late in the morning, a dip in the afternoon and
 * a second, smaller peak in the evening. One "day" is compressed into a configurable period
 * (20 minutes by default) so the shape shows on a one-hour chart.
 */

/** A smooth, 24-hour periodic bump centred on `centre` (von Mises shape; larger `k` is narrower). */
function bump(hour: number, centre: number, k: number): number {
  return Math.exp(k * (Math.cos((2 * Math.PI * (hour - centre)) / 24) - 1));
}

function rawProfile(hour: number): number {
  return (
    0.1 + // night floor
    1.0 * bump(hour, 11, 2.2) + // late-morning peak
    0.8 * bump(hour, 20, 3.5) + // evening peak
    0.25 * bump(hour, 15, 1.2) // afternoon plateau
  );
}

/** The mean of the raw profile over a day, so that {@link dayProfile} averages 1. */
const RAW_MEAN = (() => {
  const steps = 24 * 60;
  let sum = 0;
  for (let i = 0; i < steps; i++) sum += rawProfile((24 * i) / steps);
  return sum / steps;
})();

/** Hours of the two peaks and of the quietest time, for documentation and tests. */
export const PROFILE_LANDMARKS = {
  morningPeakHour: 11,
  eveningPeakHour: 20,
  nightHour: 3,
} as const;

/**
 * The traffic multiplier at `hour` (0 to 24; any number is taken modulo 24). Periodic over 24
 * hours, smooth, averages 1 over a day; about 0.25 at 03:00, 1.84 at 11:00 and 1.5 at 20:00.
 * Always within [{@link PROFILE_MIN}, {@link PROFILE_MAX}].
 */
export function dayProfile(hour: number): number {
  if (!Number.isFinite(hour))
    throw new RangeError(`hour must be finite, got ${hour}`);
  const h = ((hour % 24) + 24) % 24;
  return rawProfile(h) / RAW_MEAN;
}

/** Bounds of {@link dayProfile} (loose: the true range is about 0.25 to 1.85). */
export const PROFILE_MIN = 0.1;
export const PROFILE_MAX = 2;

/**
 * The simulated hour of day `elapsedMs` after the start, when the run starts at `startHour` and
 * one day lasts `dayPeriodMs`.
 */
export function hourAt(
  elapsedMs: number,
  dayPeriodMs: number,
  startHour: number,
): number {
  if (!(dayPeriodMs > 0)) throw new RangeError('dayPeriodMs must be positive');
  const hour = startHour + (24 * elapsedMs) / dayPeriodMs;
  return ((hour % 24) + 24) % 24;
}
