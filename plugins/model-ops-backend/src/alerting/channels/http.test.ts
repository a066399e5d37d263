import { absoluteUrl, formatNumber } from './format';
import { Deadline, httpResult, redact, shorten, urlSecrets } from './http';

describe('channel helpers', () => {
  it('classifies HTTP statuses', () => {
    expect(httpResult(202, '')).toEqual({
      ok: true,
      status: 202,
      detail: 'HTTP 202',
    });
    for (const status of [408, 429, 500, 502, 503]) {
      expect(httpResult(status, 'x')).toMatchObject({
        ok: false,
        retryable: true,
        status,
      });
    }
    for (const status of [301, 400, 401, 403, 404, 410, 422]) {
      expect(httpResult(status, 'x')).toMatchObject({
        ok: false,
        retryable: false,
        status,
      });
    }
  });

  it('keeps details short, on one line, and free of secrets', () => {
    expect(shorten('a\n  b\tc')).toBe('a b c');
    expect(shorten('x'.repeat(400))).toHaveLength(300);
    expect(
      redact('key abcd1234 and abcd1234', ['abcd1234', 'ab', undefined]),
    ).toBe('key *** and ***');
    expect(urlSecrets('https://hooks.slack.com/services/T/B/X?y=1')).toEqual([
      'https://hooks.slack.com/services/T/B/X?y=1',
      '/services/T/B/X?y=1',
    ]);
  });

  it('tells a timeout from a caller abort', async () => {
    const timed = new Deadline(20);
    await expect(timed.race(new Promise(() => {}))).rejects.toThrow(
      'timed out after 20 ms',
    );
    expect(timed.timedOut).toBe(true);
    expect(timed.failure(new Error('x'))).toEqual({
      ok: false,
      retryable: true,
      detail: 'timed out after 20 ms',
    });
    timed.dispose();

    const controller = new AbortController();
    const aborted = new Deadline(10_000, controller.signal);
    const pending = aborted.race(new Promise(() => {}));
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
    expect(aborted.timedOut).toBe(false);
    expect(aborted.failure(undefined).detail).toBe('aborted: stop');
    aborted.dispose();
  });

  it('makes links absolute against the base URL, and rounds floating-point noise', () => {
    expect(absoluteUrl('/catalog/x', 'https://portal.example.com/')).toBe(
      'https://portal.example.com/catalog/x',
    );
    expect(absoluteUrl('/catalog/x', 'https://example.com/backstage')).toBe(
      'https://example.com/backstage/catalog/x',
    );
    expect(absoluteUrl('https://a.example/x', undefined)).toBe(
      'https://a.example/x',
    );
    expect(absoluteUrl('/catalog/x', undefined)).toBeUndefined();
    expect(absoluteUrl('mailto:oncall@example.com', 'https://p.example')).toBe(
      undefined,
    );
    expect(formatNumber(0.1 + 0.2)).toBe('0.3');
    expect(formatNumber(12.5)).toBe('12.5');
    expect(formatNumber(6200)).toBe('6200');
  });
});
