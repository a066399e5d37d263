import {
  MIN_CANARY_SAMPLES,
  MIN_LATENCY_COMPARISON_SAMPLES,
  judgeCanaryStep,
} from './canary';

const limits = { maxErrorRatePct: 5, maxP95Ms: 1000 };
const options = { maxLatencyRatio: 2, maxErrorRateIncreasePct: 1 };
const side = (requests: number, p95Ms: number, errorRatePct = 0) => ({
  requests,
  p95Ms,
  errorRatePct,
});

describe('judgeCanaryStep', () => {
  it('passes a canary that answers like the stable color', () => {
    expect(
      judgeCanaryStep(side(50, 12), side(450, 10), limits, options),
    ).toEqual([]);
  });

  it('fails a step that reached too few canary answers', () => {
    const reasons = judgeCanaryStep(
      side(MIN_CANARY_SAMPLES - 1, 10),
      side(100, 10),
      limits,
      options,
    );
    expect(reasons).toEqual([
      `only ${
        MIN_CANARY_SAMPLES - 1
      } requests reached the canary (at least ${MIN_CANARY_SAMPLES} are needed to judge it)`,
    ]);
  });

  it('fails on the rule set’s limits at any number of answers', () => {
    expect(
      judgeCanaryStep(side(5, 1500, 20), side(5, 10), limits, options),
    ).toEqual([
      "canary error rate 20 % is over the rule's 5 %",
      'canary error rate 20 % against stable 0 %',
      "canary p95 1500 ms is over the rule's 1000 ms",
    ]);
  });

  it('fails on an error rate above the stable color’s by more than the allowed points', () => {
    expect(
      judgeCanaryStep(side(100, 10, 3), side(900, 10, 1), limits, options),
    ).toEqual(['canary error rate 3 % against stable 1 %']);
  });

  it('compares p95 with the stable color’s once both have enough answers', () => {
    const n = MIN_LATENCY_COMPARISON_SAMPLES;
    // 2 × 10 + 20 = 40 ms is the bound.
    expect(judgeCanaryStep(side(n, 40), side(n, 10), limits, options)).toEqual(
      [],
    );
    expect(judgeCanaryStep(side(n, 41), side(n, 10), limits, options)).toEqual([
      'canary p95 41 ms against stable 10 ms',
    ]);
  });

  it('does not compare the p95 of a handful of answers, which is their slowest one', () => {
    const few = MIN_LATENCY_COMPARISON_SAMPLES - 1;
    expect(
      judgeCanaryStep(side(few, 90), side(500, 10), limits, options),
    ).toEqual([]);
    expect(
      judgeCanaryStep(side(500, 90), side(few, 10), limits, options),
    ).toEqual([]);
  });
});
