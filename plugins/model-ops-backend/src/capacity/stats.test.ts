import {
  linearFit,
  mean,
  percentile,
  predict,
  studentTCdf,
  tQuantile,
} from './stats';

describe('stats', () => {
  it('gives the mean and linear-interpolated percentiles', () => {
    expect(mean([])).toBeUndefined();
    expect(mean([1, 2, 3, 6])).toBe(3);
    expect(percentile([], 0.95)).toBeUndefined();
    expect(percentile([7], 0.95)).toBe(7);
    // Ranks 0..20 of 1..21: the 0.95 quantile is rank 19, the value 20.
    const values = Array.from({ length: 21 }, (_, i) => 21 - i);
    expect(percentile(values, 0.95)).toBe(20);
    expect(percentile([0, 10], 0.95)).toBeCloseTo(9.5, 12);
  });

  it.each([
    // Two-sided 95 % critical values of Student's t, from the standard tables.
    [1, 12.7062],
    [2, 4.3027],
    [3, 3.1824],
    [5, 2.5706],
    [10, 2.2281],
    [28, 2.0484],
    [88, 1.9873],
    [1000, 1.9623],
  ])('has the 0.975 quantile of t with %i degrees of freedom', (df, t) => {
    expect(tQuantile(0.975, df)).toBeCloseTo(t, 4);
    expect(studentTCdf(tQuantile(0.975, df), df)).toBeCloseTo(0.975, 10);
    expect(tQuantile(0.025, df)).toBeCloseTo(-t, 4);
  });

  it('refuses quantiles it cannot have', () => {
    expect(() => tQuantile(1, 3)).toThrow(RangeError);
    expect(() => tQuantile(0.5, 0)).toThrow(RangeError);
    expect(tQuantile(0.5, 4)).toBe(0);
  });

  it('fits an exact line exactly, with no interval', () => {
    const fit = linearFit([0, 1, 2, 3, 4].map(x => ({ x, y: 1000 + 250 * x })));
    expect(fit.slope).toBeCloseTo(250, 10);
    expect(fit.intercept).toBeCloseTo(1000, 10);
    expect(fit.r2).toBe(1);
    expect(fit.residualStdError).toBe(0);
    expect(predict(fit, 10, 0.95)).toEqual({
      y: expect.closeTo(3500, 8),
      low: expect.closeTo(3500, 8),
      high: expect.closeTo(3500, 8),
    });
  });

  it('gives the textbook prediction interval of a scattered line', () => {
    // y = 2x with residuals +1, -1, -1, +1: SSE 4, s = sqrt(2), x̄ = 1.5, Sxx = 5.
    const fit = linearFit([
      { x: 0, y: 1 },
      { x: 1, y: 1 },
      { x: 2, y: 3 },
      { x: 3, y: 7 },
    ]);
    expect(fit.slope).toBeCloseTo(2, 12);
    expect(fit.intercept).toBeCloseTo(0, 12);
    expect(fit.r2).toBeCloseTo(1 - 4 / 24, 12);
    const p = predict(fit, 5, 0.95);
    const half = 4.3027 * Math.sqrt(2) * Math.sqrt(1 + 1 / 4 + 3.5 ** 2 / 5);
    expect(p.y).toBeCloseTo(10, 10);
    expect(p.high - p.y).toBeCloseTo(half, 3);
    expect(p.y - p.low).toBeCloseTo(half, 3);
  });

  it('needs three points', () => {
    expect(() =>
      linearFit([
        { x: 0, y: 1 },
        { x: 1, y: 2 },
      ]),
    ).toThrow(RangeError);
  });
});
