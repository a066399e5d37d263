import {
  fromJson,
  iso,
  isUniqueViolation,
  toDate,
  toOptionalDate,
} from './rows';

describe('rows', () => {
  it('reads timestamps in every driver shape', () => {
    const at = new Date('2026-12-01T10:00:00.000Z');
    expect(toDate(at)).toBe(at);
    expect(toDate(at.getTime())).toEqual(at);
    expect(toDate(String(at.getTime()))).toEqual(at);
    expect(toDate('2026-12-01T10:00:00.000Z')).toEqual(at);
    expect(toOptionalDate(null)).toBeUndefined();
    expect(iso(at.getTime())).toBe('2026-12-01T10:00:00.000Z');
    expect(iso(undefined)).toBeUndefined();
  });

  it('reads JSON columns parsed or as text', () => {
    expect(fromJson('{"a":1}', {})).toEqual({ a: 1 });
    expect(fromJson({ a: 1 }, {})).toEqual({ a: 1 });
    expect(fromJson(null, [])).toEqual([]);
  });

  it('recognizes unique violations of both databases', () => {
    expect(isUniqueViolation({ code: '23505' })).toBe(true);
    expect(isUniqueViolation({ code: 'SQLITE_CONSTRAINT_UNIQUE' })).toBe(true);
    expect(isUniqueViolation(new Error('UNIQUE constraint failed: t.a'))).toBe(
      true,
    );
    expect(isUniqueViolation(new Error('no such table'))).toBe(false);
    expect(isUniqueViolation(undefined)).toBe(false);
  });
});
