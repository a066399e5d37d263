/**
 * The `fetch` the sources use; injectable for tests.
 *
 * @public
 */
export type FetchFunction = typeof fetch;

/** A response body read in full, or the reason it was not. */
export interface TextResponse {
  status: number;
  text: string;
}

/**
 * Requests `url` and reads the body as text, aborting after `timeoutMs` (headers and body
 * together) or once the body exceeds `maxBytes`.
 */
export async function fetchText(
  fetchFn: FetchFunction,
  url: string,
  options: { timeoutMs: number; maxBytes: number; init?: RequestInit },
): Promise<TextResponse> {
  const controller = new AbortController();
  const timer = setTimeout(
    () =>
      controller.abort(new Error(`timed out after ${options.timeoutMs} ms`)),
    options.timeoutMs,
  );
  try {
    const response = await fetchFn(url, {
      ...options.init,
      signal: controller.signal,
    });
    const chunks: Uint8Array[] = [];
    let size = 0;
    if (response.body) {
      const reader = response.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > options.maxBytes) {
          const tooLarge = new Error(
            `response larger than ${options.maxBytes} bytes`,
          );
          controller.abort(tooLarge);
          throw tooLarge;
        }
        chunks.push(value);
      }
    }
    const text = new TextDecoder().decode(Buffer.concat(chunks));
    return { status: response.status, text };
  } catch (e) {
    if (controller.signal.aborted && controller.signal.reason instanceof Error)
      throw controller.signal.reason;
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index], index);
    }
  };
  const workers = Math.max(1, Math.min(Math.floor(limit), items.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return results;
}

/** Whether `endpoint` names this host (localhost, 127.0.0.0/8 or ::1). */
export function isLoopbackEndpoint(endpoint: string): boolean {
  let host: string;
  try {
    host = new URL(endpoint).hostname;
  } catch {
    return false;
  }
  return (
    host === 'localhost' ||
    host === '[::1]' ||
    host === '::1' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
  );
}
