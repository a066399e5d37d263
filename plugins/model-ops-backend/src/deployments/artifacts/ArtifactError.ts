/**
 * A failed fetch or verification, with the check that failed (recorded on the validation stage).
 *
 * Messages are shown to everyone who may read the run: they name the file of the artifact and
 * what went wrong, never a host path outside a file root nor a remote response body.
 *
 * @internal
 */
export class ArtifactError extends Error {
  constructor(readonly check: string, message: string) {
    super(message);
    this.name = 'ArtifactError';
  }
}

/** The most bytes an artifact may have when config sets no limit: 200 MiB. */
export const DEFAULT_MAX_ARTIFACT_BYTES = 200 * 1024 * 1024;

/**
 * How much one read may return, and the error past it (which names the configured limit, not
 * what was left of it).
 *
 * @internal
 */
export interface ReadLimit {
  maxBytes: number;
  tooLarge: () => ArtifactError;
}

/** @internal */
export function tooLargeError(maxBytes: number): ArtifactError {
  return new ArtifactError(
    'size',
    `artifact.uri: the artifact is larger than the limit of ${maxBytes} bytes (modelOps.artifacts.maxBytes)`,
  );
}
