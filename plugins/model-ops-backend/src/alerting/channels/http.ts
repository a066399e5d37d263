import { AlertDeliveryResult } from '@model-ops/plugin-model-ops-node';

/** How long one delivery attempt may take unless the channel sets `timeout`. */
export const DEFAULT_TIMEOUT_MS = 10_000;
/** How much of a receiver's reply or an error a result's `detail` keeps. */
export const MAX_DETAIL_CHARS = 300;
/** How much of a response body is read at most (only its start ends up in `detail`). */
const MAX_BODY_BYTES = 16 * 1024;

/** The User-Agent of every request the channels send. */
export const USER_AGENT = 'Backstage-Model-Ops';

/** One line of at most `max` characters: whitespace collapsed, an ellipsis where it is cut. */
export function shorten(text: string, max = MAX_DETAIL_CHARS): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

/**
 * `text` with every secret replaced by `***`. Secrets shorter than four characters are left
 * alone: replacing them would mangle the text and hide nothing.
 */
export function redact(
  text: string,
  secrets: ReadonlyArray<string | undefined> = [],
): string {
  let result = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) result = result.split(secret).join('***');
  }
  return result;
}

/** The secrets in a URL: the URL itself and, when it has one, its path with the query. */
export function urlSecrets(url: string): string[] {
  try {
    const parsed = new URL(url);
    const path = `${parsed.pathname}${parsed.search}`;
    return path.length > 1 ? [url, path] : [url];
  } catch {
    return [url];
  }
}

/** A message for anything thrown: its message and its cause's (fetch puts the reason there). */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  const causeMessage =
    cause instanceof Error
      ? cause.message ||
        (cause as NodeJS.ErrnoException).code ||
        cause.constructor.name
      : undefined;
  return causeMessage && !error.message.includes(causeMessage)
    ? `${error.message}: ${causeMessage}`
    : error.message;
}

/**
 * The time one delivery attempt has: aborts its `signal` after `timeoutMs`, or as soon as the
 * caller's signal aborts. `dispose` it when the attempt is over.
 */
export class Deadline {
  readonly signal: AbortSignal;
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly parent?: AbortSignal;
  private expired = false;

  constructor(readonly timeoutMs: number, parent?: AbortSignal) {
    this.signal = this.controller.signal;
    this.timer = setTimeout(() => {
      this.expired = true;
      this.controller.abort(new Error(`timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    if (parent) {
      this.parent = parent;
      if (parent.aborted) this.onParentAbort();
      else parent.addEventListener('abort', this.onParentAbort, { once: true });
    }
  }

  private readonly onParentAbort = () => {
    clearTimeout(this.timer);
    this.controller.abort(this.parent?.reason ?? new Error('aborted'));
  };

  /** Whether the attempt ran out of time (as opposed to being aborted by the caller). */
  get timedOut(): boolean {
    return this.expired;
  }

  /** Resolves as `promise` does, or rejects with the abort reason once the signal aborts. */
  race<T>(promise: Promise<T>): Promise<T> {
    // What `promise` comes to after the deadline is nobody's business: no unhandled rejection.
    promise.catch(() => {});
    if (this.signal.aborted) return Promise.reject(this.signal.reason);
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => reject(this.signal.reason);
      this.signal.addEventListener('abort', onAbort, { once: true });
      promise.then(
        value => {
          this.signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
        error => {
          this.signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  }

  /**
   * The result of an attempt that failed with `error`: retryable, with the timeout or the abort
   * in the detail when that is what ended it.
   */
  failure(
    error: unknown,
    secrets: ReadonlyArray<string | undefined> = [],
  ): AlertDeliveryResult {
    let detail: string;
    if (this.expired) {
      detail = `timed out after ${this.timeoutMs} ms`;
    } else if (this.signal.aborted) {
      detail = `aborted: ${describeError(this.signal.reason)}`;
    } else {
      detail = describeError(error);
    }
    return {
      ok: false,
      retryable: true,
      detail: shorten(redact(detail, secrets)),
    };
  }

  dispose() {
    clearTimeout(this.timer);
    this.parent?.removeEventListener('abort', this.onParentAbort);
  }
}

/**
 * Classifies an HTTP reply: 2xx ok; 408, 429 and 5xx retryable; anything else (other 4xx, and
 * 3xx since redirects are not followed) a failure not worth retrying.
 */
export function httpResult(
  status: number,
  body: string,
  secrets: ReadonlyArray<string | undefined> = [],
): AlertDeliveryResult {
  const text = shorten(redact(body, secrets));
  if (status >= 200 && status < 300) {
    return { ok: true, status, detail: text || `HTTP ${status}` };
  }
  const retryable = status === 408 || status === 429 || status >= 500;
  const note =
    status >= 300 && status < 400 ? ' (redirects are not followed)' : '';
  return {
    ok: false,
    retryable,
    status,
    detail: shorten(`HTTP ${status}${note}${text ? `: ${text}` : ''}`),
  };
}

/** Reads at most `maxBytes` of a response body as text, then stops reading. */
async function readBody(response: Response, maxBytes: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < maxBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
  return new TextDecoder().decode(Buffer.concat(chunks).subarray(0, maxBytes));
}

/** How to post. */
export interface PostJsonOptions {
  headers?: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
  /** Values to keep out of the result's detail (tokens, secret URLs). */
  secrets?: ReadonlyArray<string | undefined>;
}

/**
 * POSTs `body` as JSON to `url` and classifies the reply (see {@link httpResult}). Never throws:
 * network errors, the timeout and the caller's abort come back as retryable failures.
 */
export async function postJson(
  url: string,
  body: unknown,
  options: PostJsonOptions,
): Promise<AlertDeliveryResult> {
  const deadline = new Deadline(options.timeoutMs, options.signal);
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        ...options.headers,
      },
      body: JSON.stringify(body),
      redirect: 'manual',
      signal: deadline.signal,
    });
    const text = await readBody(response, MAX_BODY_BYTES);
    return httpResult(response.status, text, options.secrets);
  } catch (error) {
    return deadline.failure(error, options.secrets);
  } finally {
    deadline.dispose();
  }
}
