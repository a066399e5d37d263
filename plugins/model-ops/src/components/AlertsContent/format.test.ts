import { ResponseError } from '@backstage/errors';
import { changeLine, errorMessage, formatDuration } from './format';

describe('formatDuration', () => {
  it.each([
    [0, '0 s'],
    [45.4, '45 s'],
    [180, '3 min'],
    [3599, '1 h'],
    [5400, '1 h 30 min'],
    [7200, '2 h'],
    [86400, '1 d'],
    [97200, '1 d 3 h'],
    [-5, '0 s'],
  ])('%p seconds is %p', (seconds, text) => {
    expect(formatDuration(seconds)).toBe(text);
  });
});

describe('changeLine', () => {
  const change = {
    kind: 'deployment' as const,
    id: 'run-7',
    at: '2026-12-03T10:00:00.000Z',
    summary: 'Deployment of 1.2.0 succeeded',
    version: '1.2.0',
  };

  it('says what changed and how long before the alert fired', () => {
    expect(changeLine(change, '2026-12-03T10:03:00.000Z')).toBe(
      'after deployment of 1.2.0 succeeded, 3 min before',
    );
  });

  it('leaves the gap out without a firing time, and hedges a change dated after it', () => {
    expect(changeLine(change)).toBe('after deployment of 1.2.0 succeeded');
    expect(changeLine(change, '2026-12-03T09:59:00.000Z')).toBe(
      'around deployment of 1.2.0 succeeded',
    );
  });

  it('falls back to the kind and version without a summary', () => {
    expect(
      changeLine({ ...change, summary: '' }, '2026-12-03T10:00:30.000Z'),
    ).toBe('after deployment 1.2.0, 30 s before');
  });
});

describe('errorMessage', () => {
  it('gives the backend’s message of a ResponseError, not "Request failed"', async () => {
    const body = JSON.stringify({
      error: {
        name: 'InputError',
        message: 'reason must be a non-empty string',
      },
      request: { method: 'POST', url: '/x' },
      response: { statusCode: 400 },
    });
    const error = await ResponseError.fromResponse({
      status: 400,
      statusText: 'Bad Request',
      headers: { get: () => 'application/json' },
      text: async () => body,
    } as unknown as Response);
    expect(error.message).toMatch(/^Request failed with 400/);
    expect(errorMessage(error)).toBe('reason must be a non-empty string');
  });

  it('gives any other error’s message', () => {
    expect(errorMessage(new Error('boom'))).toBe('boom');
    expect(errorMessage('plain')).toBe('plain');
  });
});
