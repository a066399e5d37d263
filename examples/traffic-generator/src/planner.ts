/**
 * The request planner: given the time since the start of the run, decides how many requests
 * each target gets, with which bodies. Pure apart from the injected random source: the same
 * options, seed and call sequence give the same plan.
 */
import { burstAt } from './bursts.ts';
import type { BurstSchedule, BurstState } from './bursts.ts';
import { dayProfile, hourAt } from './profile.ts';
import { createRandom, hashString, mix32 } from './random.ts';
import { MALFORMED_BODIES } from './texts.ts';
import type { TextPool } from './texts.ts';

export interface PlannerTarget {
  name: string;
  /** Multiplies the base rate for this target. Default 1. */
  weight?: number;
}

export interface BurstOptions extends BurstSchedule {
  /** The target (model) whose requests are malformed during bursts. */
  target: string;
  /** Share (0 to 1) of that target's requests that are malformed during a burst. */
  share: number;
}

export interface PlannerOptions {
  targets: PlannerTarget[];
  /** Requests per second per target averaged over a simulated day. */
  baseRps: number;
  /** Length of one simulated day. */
  dayPeriodMs: number;
  /** Simulated hour of day at the start of the run (0 to 24). */
  startHour: number;
  /** Amplitude (0 to 1) of the slow multiplicative noise: the rate varies by up to ±noise. */
  noise: number;
  /** Seeds the noise (and the default random source). */
  seed: number;
  /** The random source for text picks and malformed choices. Default seeded by `seed`. */
  random?: () => number;
  texts: TextPool;
  /** Share (0 to 1) of normal requests that carry a long text. */
  longShare: number;
  burst?: BurstOptions;
  /** The noise changes smoothly between knots this far apart. Default 20 s. */
  noiseKnotMs?: number;
  /** Most requests planned for one target in one call (a safety bound). Default 1000. */
  maxPerCall?: number;
}

export interface PlannedRequest {
  target: string;
  /** The JSON (or deliberately broken) body to POST to `/v1/predict`. */
  body: string;
  malformed: boolean;
}

export interface Planner {
  /** The target's rate in requests per second at `elapsedMs`, noise included. */
  rateAt(target: string, elapsedMs: number): number;
  /** The rate without noise: `baseRps × weight × dayProfile(hour)`. */
  expectedRateAt(target: string, elapsedMs: number): number;
  /** The burst state at `elapsedMs`, or undefined without bursts. */
  burstAt(elapsedMs: number): BurstState | undefined;
  /**
   * The requests for the interval of `dtMs` ending at `elapsedMs`. Fractions of a request carry
   * over to the next call, so the long-run count follows the rate exactly.
   */
  plan(elapsedMs: number, dtMs: number): PlannedRequest[];
}

/** A value in [-1, 1] for knot `index` of `target`'s noise, from the seed alone. */
function knotValue(seed: number, target: string, index: number): number {
  const h = mix32(mix32(seed ^ hashString(target)) + index);
  return (h / 4294967296) * 2 - 1;
}

export function createPlanner(options: PlannerOptions): Planner {
  const {
    targets,
    baseRps,
    dayPeriodMs,
    startHour,
    noise,
    seed,
    texts,
    longShare,
    burst,
    noiseKnotMs = 20000,
    maxPerCall = 1000,
  } = options;
  const random = options.random ?? createRandom(seed);
  const weights = new Map(targets.map(t => [t.name, t.weight ?? 1]));
  if (weights.size === 0) throw new Error('at least one target is needed');
  if (texts.short.length + texts.long.length === 0)
    throw new Error('no texts to send');
  if (burst && !weights.has(burst.target))
    throw new Error(`burst target ${burst.target} is not a target`);
  const credit = new Map(targets.map(t => [t.name, 0]));

  const weightOf = (target: string) => {
    const weight = weights.get(target);
    if (weight === undefined) throw new Error(`unknown target ${target}`);
    return weight;
  };

  const expectedRateAt = (target: string, elapsedMs: number) =>
    baseRps *
    weightOf(target) *
    dayProfile(hourAt(elapsedMs, dayPeriodMs, startHour));

  const noiseAt = (target: string, elapsedMs: number) => {
    if (noise <= 0) return 1;
    const position = Math.max(0, elapsedMs) / noiseKnotMs;
    const index = Math.floor(position);
    const f = position - index;
    const smooth = f * f * (3 - 2 * f);
    const a = knotValue(seed, target, index);
    const b = knotValue(seed, target, index + 1);
    return 1 + noise * (a + (b - a) * smooth);
  };

  const rateAt = (target: string, elapsedMs: number) =>
    expectedRateAt(target, elapsedMs) * noiseAt(target, elapsedMs);

  const pick = (list: string[]) => list[Math.floor(random() * list.length)];
  const pickText = () => {
    const useLong =
      texts.short.length === 0 ||
      (texts.long.length > 0 && random() < longShare);
    return pick(useLong ? texts.long : texts.short);
  };

  const burstState = (elapsedMs: number) =>
    burst ? burstAt(elapsedMs, burst) : undefined;

  return {
    rateAt,
    expectedRateAt,
    burstAt: burstState,
    plan(elapsedMs, dtMs) {
      const out: PlannedRequest[] = [];
      if (!(dtMs > 0)) return out;
      const inBurst = burstState(elapsedMs)?.active ?? false;
      for (const { name } of targets) {
        // midpoint rate of the interval
        const rate = rateAt(name, elapsedMs - dtMs / 2);
        let owed = (credit.get(name) ?? 0) + (rate * dtMs) / 1000;
        const count = Math.min(Math.floor(owed), maxPerCall);
        owed = Math.min(owed - count, maxPerCall);
        credit.set(name, owed);
        const share = inBurst && burst?.target === name ? burst.share : 0;
        for (let i = 0; i < count; i++) {
          const text = pickText();
          if (share > 0 && random() < share) {
            const make =
              MALFORMED_BODIES[Math.floor(random() * MALFORMED_BODIES.length)];
            out.push({ target: name, body: make(text), malformed: true });
          } else {
            out.push({
              target: name,
              body: JSON.stringify({ input: text }),
              malformed: false,
            });
          }
        }
      }
      return out;
    },
  };
}
