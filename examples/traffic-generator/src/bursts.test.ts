import { burstAt } from './bursts.ts';

const MIN = 60_000;
const schedule = { everyMs: 4 * MIN, durationMs: 60_000, offsetMs: 30_000 };

describe('burstAt', () => {
  it('is quiet before the first burst and says when it starts', () => {
    expect(burstAt(0, schedule)).toEqual({
      active: false,
      index: 0,
      startMs: 30_000,
      endMs: 90_000,
    });
    expect(burstAt(29_999, schedule).active).toBe(false);
  });

  it('is active from each start (inclusive) to its end (exclusive)', () => {
    expect(burstAt(30_000, schedule)).toEqual({
      active: true,
      index: 0,
      startMs: 30_000,
      endMs: 90_000,
    });
    expect(burstAt(89_999, schedule).active).toBe(true);
    expect(burstAt(90_000, schedule)).toEqual({
      active: false,
      index: 1,
      startMs: 270_000,
      endMs: 330_000,
    });
    // the second and the tenth bursts
    expect(burstAt(4 * MIN + 30_000, schedule)).toMatchObject({
      active: true,
      index: 1,
    });
    expect(burstAt(36 * MIN + 30_000 + 59_000, schedule)).toMatchObject({
      active: true,
      index: 9,
    });
    expect(burstAt(36 * MIN + 30_000 + 61_000, schedule)).toMatchObject({
      active: false,
      index: 10,
    });
  });

  it('spends durationMs of every everyMs in a burst', () => {
    let active = 0;
    const hour = 60 * MIN;
    for (let t = schedule.offsetMs; t < schedule.offsetMs + hour; t += 1000) {
      if (burstAt(t, schedule).active) active++;
    }
    expect(active).toBe(15 * 60); // 15 bursts of 60 s in an hour
  });

  it('rejects impossible schedules', () => {
    expect(() => burstAt(0, { ...schedule, everyMs: 0 })).toThrow(RangeError);
    expect(() => burstAt(0, { ...schedule, durationMs: 5 * MIN })).toThrow(
      RangeError,
    );
    expect(() => burstAt(0, { ...schedule, offsetMs: -1 })).toThrow(RangeError);
  });
});
