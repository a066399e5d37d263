/** An error the fake answers with, as a Kubernetes `Status` object. */
export class FakeApiError extends Error {
  constructor(readonly code: number, readonly reason: string, message: string) {
    super(message);
  }

  /** The `Status` body the API server sends with a failure. */
  toStatus() {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
  }
}

/** A path the fake does not serve, worded as the API server words it. */
export function unknownPath(): FakeApiError {
  return new FakeApiError(
    404,
    'NotFound',
    'the server could not find the requested resource',
  );
}
