import { formatCompactTime, formatFullTime } from './formatCompactTime';

describe('formatCompactTime', () => {
  const now = new Date(2025, 5, 15, 18, 0, 0);

  it('shows only the time for a moment of today', () => {
    const iso = new Date(2025, 5, 15, 9, 5, 7).toISOString();
    const text = formatCompactTime(iso, now);
    expect(text).toMatch(/05/);
    expect(text).toMatch(/07/);
    expect(text).not.toMatch(/2025/);
    expect(text).not.toMatch(/Jun/);
  });

  it('shows the day and the minute within the year', () => {
    const iso = new Date(2025, 0, 2, 14, 30, 0).toISOString();
    const text = formatCompactTime(iso, now);
    expect(text).toMatch(/Jan/);
    expect(text).toMatch(/30/);
    expect(text).not.toMatch(/2025/);
  });

  it('shows the date alone before this year', () => {
    const iso = new Date(2023, 11, 24, 10, 0, 0).toISOString();
    const text = formatCompactTime(iso, now);
    expect(text).toMatch(/Dec/);
    expect(text).toMatch(/2023/);
  });

  it('is shorter than the full moment, which the tooltip shows', () => {
    const iso = new Date(2025, 0, 2, 14, 30, 0).toISOString();
    expect(formatCompactTime(iso, now).length).toBeLessThan(
      formatFullTime(iso).length,
    );
    expect(formatFullTime(iso)).toBe(new Date(iso).toLocaleString());
  });

  it('hands back what is not a date', () => {
    expect(formatCompactTime('soon', now)).toBe('soon');
    expect(formatFullTime('soon')).toBe('soon');
  });
});
