import { Config, readDurationFromConfig } from '@backstage/config';
import { durationToMilliseconds } from '@backstage/types';
import { DEFAULT_TIMEOUT_MS } from './http';

/**
 * Reads one `modelOps.alerts.channels.<id>` entry: every error names the full key, e.g.
 * `modelOps.alerts.channels.oncall-mail.to must be a list of addresses`.
 */
export class ChannelConfigReader {
  constructor(readonly id: string, private readonly config: Config) {}

  /** The full key of `key` in the app config. */
  key(key: string): string {
    return `modelOps.alerts.channels.${this.id}.${key}`;
  }

  fail(key: string, problem: string): never {
    throw new Error(`${this.key(key)} ${problem}`);
  }

  has(key: string): boolean {
    return this.config.has(key);
  }

  optionalString(key: string): string | undefined {
    let value: string | undefined;
    try {
      value = this.config.getOptionalString(key);
    } catch {
      return this.fail(key, 'must be a string');
    }
    if (value !== undefined && value.trim() === '') {
      return this.fail(key, 'must not be empty');
    }
    return value;
  }

  string(key: string, what = 'a string'): string {
    const value = this.optionalString(key);
    if (value === undefined) return this.fail(key, `must be set (${what})`);
    return value;
  }

  optionalBoolean(key: string): boolean | undefined {
    try {
      return this.config.getOptionalBoolean(key);
    } catch {
      return this.fail(key, 'must be true or false');
    }
  }

  optionalInteger(
    key: string,
    range: { min: number; max?: number },
  ): number | undefined {
    let value: number | undefined;
    try {
      value = this.config.getOptionalNumber(key);
    } catch {
      return this.fail(key, 'must be a number');
    }
    if (
      value !== undefined &&
      (!Number.isInteger(value) ||
        value < range.min ||
        (range.max !== undefined && value > range.max))
    ) {
      return this.fail(
        key,
        range.max === undefined
          ? `must be an integer of at least ${range.min}`
          : `must be an integer from ${range.min} to ${range.max}`,
      );
    }
    return value;
  }

  /** A non-empty list of non-empty strings; `what` says what they are, e.g. `addresses`. */
  stringList(key: string, what: string): string[] {
    const value = this.optionalStringList(key, what);
    if (value === undefined) return this.fail(key, `must be a list of ${what}`);
    return value;
  }

  optionalStringList(key: string, what: string): string[] | undefined {
    let value: string[] | undefined;
    try {
      value = this.config.getOptionalStringArray(key);
    } catch {
      return this.fail(key, `must be a list of ${what}`);
    }
    if (value === undefined) return undefined;
    if (value.length === 0 || value.some(v => v.trim() === '')) {
      return this.fail(key, `must be a list of ${what}`);
    }
    return value.map(v => v.trim());
  }

  /** A map of strings, e.g. HTTP headers (names taken as they are, not as config keys). */
  optionalStringMap(key: string): Record<string, string> | undefined {
    let value: unknown;
    try {
      value = this.config.getOptional(key);
    } catch {
      return this.fail(key, 'must be a map of strings');
    }
    if (value === undefined) return undefined;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return this.fail(key, 'must be a map of strings');
    }
    const result: Record<string, string> = {};
    for (const [name, entry] of Object.entries(value)) {
      if (typeof entry !== 'string') {
        return this.fail(`${key}.${name}`, 'must be a string');
      }
      result[name] = entry;
    }
    return result;
  }

  /** An absolute http(s) URL. */
  url(key: string): string {
    const value = this.string(key, 'an http(s) URL');
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      return this.fail(key, 'must be an absolute http(s) URL');
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      return this.fail(key, 'must be an absolute http(s) URL');
    }
    return value;
  }

  optionalUrl(key: string): string | undefined {
    return this.config.has(key) ? this.url(key) : undefined;
  }

  /**
   * `timeout`: how long one delivery attempt may take, as a Backstage duration (`10s`, `500ms`,
   * `PT10S`, `{ seconds: 10 }`). Default 10 seconds.
   */
  timeoutMs(): number {
    if (!this.config.has('timeout')) return DEFAULT_TIMEOUT_MS;
    let ms: number;
    try {
      ms = durationToMilliseconds(
        readDurationFromConfig(this.config, { key: 'timeout' }),
      );
    } catch {
      return this.fail(
        'timeout',
        'must be a duration such as 10s, 500ms or { seconds: 10 }',
      );
    }
    if (!(ms > 0)) return this.fail('timeout', 'must be longer than zero');
    return ms;
  }
}
