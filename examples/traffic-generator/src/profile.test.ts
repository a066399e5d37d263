import {
  dayProfile,
  hourAt,
  PROFILE_LANDMARKS,
  PROFILE_MAX,
  PROFILE_MIN,
} from './profile.ts';

describe('dayProfile', () => {
  it('is low at night and peaks late in the morning and in the evening', () => {
    const night = dayProfile(PROFILE_LANDMARKS.nightHour);
    const morning = dayProfile(PROFILE_LANDMARKS.morningPeakHour);
    const evening = dayProfile(PROFILE_LANDMARKS.eveningPeakHour);
    const afternoon = dayProfile(16);
    expect(night).toBeLessThan(0.4);
    expect(morning).toBeGreaterThan(4 * night);
    expect(evening).toBeGreaterThan(4 * night);
    // two peaks: the afternoon dips below both
    expect(afternoon).toBeLessThan(morning);
    expect(afternoon).toBeLessThan(evening);
    // the morning peak is the highest point, and the quietest hour is in the night
    const hours = Array.from({ length: 24 * 12 }, (_, i) => i / 12);
    const values = hours.map(dayProfile);
    const top = hours[values.indexOf(Math.max(...values))];
    const bottom = hours[values.indexOf(Math.min(...values))];
    expect(top).toBeGreaterThanOrEqual(10);
    expect(top).toBeLessThanOrEqual(12.5);
    expect(bottom).toBeGreaterThanOrEqual(1);
    expect(bottom).toBeLessThanOrEqual(5);
  });

  it('is periodic over 24 hours', () => {
    for (const h of [0, 3.25, 11, 17.9, 23.99]) {
      expect(dayProfile(h + 24)).toBeCloseTo(dayProfile(h), 12);
      expect(dayProfile(h - 48)).toBeCloseTo(dayProfile(h), 12);
    }
  });

  it('is bounded, smooth and averages 1 over a day', () => {
    let sum = 0;
    let previous = dayProfile(0);
    const steps = 24 * 60;
    for (let i = 0; i <= steps; i++) {
      const value = dayProfile((24 * i) / steps);
      expect(value).toBeGreaterThanOrEqual(PROFILE_MIN);
      expect(value).toBeLessThanOrEqual(PROFILE_MAX);
      // a minute never changes the rate by more than 2 % of the mean
      expect(Math.abs(value - previous)).toBeLessThan(0.02);
      previous = value;
      if (i < steps) sum += value;
    }
    expect(sum / steps).toBeCloseTo(1, 6);
  });

  it('rejects a non-finite hour', () => {
    expect(() => dayProfile(NaN)).toThrow(RangeError);
  });
});

describe('hourAt', () => {
  it('compresses one day into the period, from the start hour', () => {
    const period = 20 * 60_000;
    expect(hourAt(0, period, 8)).toBe(8);
    expect(hourAt(period / 4, period, 8)).toBeCloseTo(14);
    expect(hourAt(period / 2, period, 8)).toBeCloseTo(20);
    expect(hourAt(period, period, 8)).toBeCloseTo(8);
    expect(hourAt(3 * period + period / 24, period, 0)).toBeCloseTo(1);
  });
});
