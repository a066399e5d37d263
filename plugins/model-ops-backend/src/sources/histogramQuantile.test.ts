import { histogramQuantile } from './histogramQuantile';

// The histogram of the Prometheus text format documentation.
const buckets = [
  { upperBound: 0.05, count: 24054 },
  { upperBound: 0.1, count: 33444 },
  { upperBound: 0.2, count: 100392 },
  { upperBound: 0.5, count: 129389 },
  { upperBound: 1, count: 133988 },
  { upperBound: Infinity, count: 144320 },
];

describe('histogramQuantile', () => {
  it('interpolates linearly inside the bucket holding the rank', () => {
    // rank 72160 falls in (0.1, 0.2]: 0.1 + 0.1 * (72160 - 33444) / (100392 - 33444)
    expect(histogramQuantile(0.5, buckets)).toBeCloseTo(
      0.1 + (0.1 * (72160 - 33444)) / (100392 - 33444),
      12,
    );
    expect(histogramQuantile(0.9, buckets)).toBeCloseTo(
      0.5 + (0.5 * (0.9 * 144320 - 129389)) / (133988 - 129389),
      12,
    );
  });

  it('starts the first bucket at 0 and ignores the input order', () => {
    const shuffled = [
      buckets[3],
      buckets[5],
      buckets[0],
      buckets[2],
      buckets[1],
      buckets[4],
    ];
    expect(histogramQuantile(0.1, shuffled)).toBeCloseTo(
      (0.05 * 14432) / 24054,
      12,
    );
  });

  it('returns the highest finite bound for a rank in the +Inf bucket', () => {
    expect(histogramQuantile(0.99, buckets)).toBe(1);
  });

  it('is NaN without observations, without +Inf or with a single bucket', () => {
    expect(
      histogramQuantile(
        0.5,
        buckets.map(b => ({ ...b, count: 0 })),
      ),
    ).toBeNaN();
    expect(histogramQuantile(0.5, buckets.slice(0, 5))).toBeNaN();
    expect(
      histogramQuantile(0.5, [{ upperBound: Infinity, count: 3 }]),
    ).toBeNaN();
    expect(histogramQuantile(NaN, buckets)).toBeNaN();
  });

  it('handles q outside [0, 1], coalesces equal bounds and forces monotonic counts', () => {
    expect(histogramQuantile(-1, buckets)).toBe(-Infinity);
    expect(histogramQuantile(2, buckets)).toBe(Infinity);
    expect(
      histogramQuantile(0.6, [
        { upperBound: 1, count: 2 },
        { upperBound: 1, count: 2 }, // coalesced with the one above: 4
        { upperBound: 2, count: 3 }, // lower than 4: treated as 4
        { upperBound: 3, count: 6 },
        { upperBound: Infinity, count: 8 },
      ]),
      // rank 4.8 in (2, 3]: 2 + (4.8 - 4) / (6 - 4)
    ).toBeCloseTo(2.4, 12);
  });
});
