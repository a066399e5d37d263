import { LoggerService, UrlReaderService } from '@backstage/backend-plugin-api';
import { ArtifactError, ReadLimit } from './ArtifactError';
import { readLimited } from './readLimited';

const NOT_ALLOWED =
  'artifact.uri: reading is not allowed for this host (backend.reading.allow)';

/** How long the entry check waits for a reader that ignores its abort signal. */
const CHECK_TIMEOUT_MS = 10_000;

function isNotAllowed(error: unknown): boolean {
  const { name, message } = (error ?? {}) as Error;
  // The mux refuses hosts no reader serves; FetchUrlReader refuses redirects off the list.
  return (
    name === 'NotAllowedError' ||
    /backend\.reading\.allow/.test(String(message))
  );
}

/**
 * `http(s)` artifacts, read through Backstage's URL reader so that `backend.reading.allow` and
 * the integrations (GitHub, GitLab, S3, GCS, Azure, ...) apply: the manifest first, then each
 * file it lists, each with `readUrl`. Readers' errors carry URLs and remote answers, so they go
 * to the backend log and the run only says which file failed and how.
 *
 * @internal
 */
export class RemoteArtifactSource {
  constructor(
    private readonly options: {
      urlReader?: UrlReaderService;
      timeoutMs: number;
      logger?: LoggerService;
    },
  ) {}

  /** The artifact directory's URL, ending in `/` so that files resolve inside it. */
  resolve(uri: string): URL {
    let base: URL;
    try {
      base = new URL(uri);
    } catch {
      throw new ArtifactError(
        'artifact-uri',
        'artifact.uri is not a valid URL',
      );
    }
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    return base;
  }

  /**
   * Refuses a URL that no reader serves, without fetching it: the reader is asked with an
   * already aborted signal, so a reader that serves the host fails with the abort before any
   * request, while the URL reader refuses other hosts with a NotAllowedError.
   */
  async check(base: URL): Promise<void> {
    const urlReader = this.#reader();
    const probe = urlReader
      .readUrl(new URL('manifest.json', base).toString(), {
        signal: AbortSignal.abort(),
      })
      .then(
        // A reader that ignores the signal has answered: the host is readable; drop the body.
        response => void response.stream?.().destroy(),
        error => {
          if (isNotAllowed(error)) {
            throw new ArtifactError('artifact-uri', NOT_ALLOWED);
          }
          // Anything else (the abort itself) means a reader took the URL.
        },
      );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>(resolve => {
      timer = setTimeout(resolve, CHECK_TIMEOUT_MS);
    });
    try {
      await Promise.race([probe, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** One file of the artifact at `base`, within the limit. */
  async read(base: URL, file: string, limit: ReadLimit): Promise<Buffer> {
    const urlReader = this.#reader();
    const url = new URL(file, base).toString();
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    // Destroying the reader's stream does not end the transfer under it; aborting its signal does.
    const done = new AbortController();
    const signal = AbortSignal.any([timeout, done.signal]);
    try {
      const response = await urlReader.readUrl(url, { signal });
      if (!response.stream) {
        // Readers without streams buffer the whole body; the limit can only be checked after.
        const buffer = await response.buffer();
        if (buffer.length > limit.maxBytes) throw limit.tooLarge();
        return buffer;
      }
      return await readLimited(response.stream(), limit);
    } catch (error) {
      if (error instanceof ArtifactError) throw error;
      if (isNotAllowed(error)) throw new ArtifactError('fetch', NOT_ALLOWED);
      if ((error as Error).name === 'NotFoundError') {
        throw new ArtifactError(
          'fetch',
          `Cannot fetch ${file}: HTTP 404 (not found at artifact.uri)`,
        );
      }
      if (timeout.aborted) {
        throw new ArtifactError(
          'fetch',
          `Cannot fetch ${file}: no answer within ${
            this.options.timeoutMs / 1000
          } s`,
        );
      }
      this.options.logger?.warn(
        `Reading artifact file ${url} failed`,
        error as Error,
      );
      throw new ArtifactError(
        'fetch',
        `Cannot fetch ${file} from artifact.uri: the URL reader failed (details in the backend log)`,
      );
    } finally {
      done.abort();
    }
  }

  #reader(): UrlReaderService {
    if (!this.options.urlReader) {
      throw new ArtifactError(
        'artifact-uri',
        'artifact.uri: http(s) artifacts cannot be read here (no URL reader is configured)',
      );
    }
    return this.options.urlReader;
  }
}
