/** The status names of dtx.v1 errors (as gRPC spells them), so that the runtime need not know gRPC. */
export type RequestErrorCode =
  'INVALID_ARGUMENT' | 'FAILED_PRECONDITION' | 'RESOURCE_EXHAUSTED' | 'DEADLINE_EXCEEDED' | 'ABORTED' | 'UNAVAILABLE' | 'NOT_FOUND' | 'INTERNAL';

/** A request refused or ended without an outcome, with the status the caller gets. */
export class RequestError extends Error {
  constructor(
    readonly code: RequestErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RequestError';
  }
}
