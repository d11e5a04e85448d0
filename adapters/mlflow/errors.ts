/**
 * Error codes an MLflow tracking server sends in `{"error_code": …, "message": …}` bodies (the
 * protobuf ErrorCode names), plus the codes this client uses for failures that never reached an
 * MLflow answer. Unknown codes from newer servers pass through as plain strings.
 */
export type MlflowServerErrorCode =
  | 'INTERNAL_ERROR'
  | 'TEMPORARILY_UNAVAILABLE'
  | 'BAD_REQUEST'
  | 'INVALID_PARAMETER_VALUE'
  | 'INVALID_STATE'
  | 'ENDPOINT_NOT_FOUND'
  | 'RESOURCE_ALREADY_EXISTS'
  | 'RESOURCE_DOES_NOT_EXIST'
  | 'RESOURCE_EXHAUSTED'
  | 'REQUEST_LIMIT_EXCEEDED'
  | 'PERMISSION_DENIED'
  | 'UNAUTHENTICATED'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'ABORTED'
  | 'DEADLINE_EXCEEDED'
  | 'NOT_IMPLEMENTED';

/** Failures on the way to MLflow: no JSON error body to read a code from. */
export type MlflowClientErrorCode =
  /** Connection refused, DNS failure, reset: nothing answered. */
  | 'NETWORK_ERROR'
  /** No complete answer within the client's timeout. */
  | 'TIMEOUT'
  /** An answer that is not MLflow JSON, e.g. an HTML 502 page of a proxy or load balancer. */
  | 'NON_JSON_RESPONSE'
  /** An HTTP error status with a JSON body that carries no error_code. */
  | 'HTTP_ERROR'
  /** MLFLOW_TRACKING_URI (or the other settings) cannot be used. */
  | 'INVALID_CONFIG';

export type MlflowErrorCode = MlflowServerErrorCode | MlflowClientErrorCode | (string & {});

/** Codes worth retrying when the server sends them with a 4xx status. */
const RETRYABLE_CODES = new Set<string>(['TEMPORARILY_UNAVAILABLE', 'REQUEST_LIMIT_EXCEEDED', 'RESOURCE_EXHAUSTED', 'NETWORK_ERROR', 'TIMEOUT']);

export interface MlflowErrorOptions {
  cause?: unknown;
  /** The server's Retry-After, in milliseconds. */
  retryAfterMs?: number;
  /** The request never reached the server (connection refused, DNS): safe to repeat even a create. */
  unsent?: boolean;
}

/** One failed MLflow request, typed by its code; message is one line a user can act on. */
export class MlflowError extends Error {
  readonly retryAfterMs?: number;
  readonly unsent: boolean;

  constructor(
    message: string,
    readonly code: MlflowErrorCode,
    /** HTTP status, or 0 when no answer arrived. */
    readonly status: number,
    /** `METHOD /api/2.0/mlflow/…` of the request (no query string, no credentials). */
    readonly endpoint?: string,
    options: MlflowErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MlflowError';
    this.retryAfterMs = options.retryAfterMs;
    this.unsent = options.unsent ?? false;
  }

  /** MLflow answered that the resource does not exist (HTTP 404). */
  get isNotFound(): boolean {
    return this.code === 'RESOURCE_DOES_NOT_EXIST' || this.code === 'NOT_FOUND';
  }

  /** MLflow refused to create a resource that exists (it sends this with HTTP 400). */
  get isAlreadyExists(): boolean {
    return this.code === 'RESOURCE_ALREADY_EXISTS' || this.code === 'ALREADY_EXISTS';
  }

  /** Whether the same request may succeed later: rate limits, 5xx, network failures, timeouts. */
  get retryable(): boolean {
    return this.status === 429 || this.status >= 500 || RETRYABLE_CODES.has(this.code);
  }

  /** Credentials missing or refused (401/403). */
  get isAuthError(): boolean {
    return this.status === 401 || this.status === 403 || this.code === 'UNAUTHENTICATED' || this.code === 'PERMISSION_DENIED';
  }
}
