/**
 * Typed errors. Each carries the HTTP status it maps to; only 4xx messages are ever shown to a client.
 */
export interface FieldProblem {
  /** Dotted path of the offending field, e.g. `query.limit` or `body.risk_level`. */
  field: string;
  message: string;
}

export class AppError extends Error {
  readonly status: number = 500;
  /** A stable, machine-readable code for API clients. */
  readonly code: string = 'internal_error';
}

export class ValidationError extends AppError {
  override name = 'ValidationError';
  override readonly status = 400;
  override readonly code = 'invalid_request';
  constructor(
    message: string,
    readonly problems: FieldProblem[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export class AuthError extends AppError {
  override name = 'AuthError';
  override readonly status = 401;
  override readonly code = 'unauthorized';
}

export class ForbiddenError extends AppError {
  override name = 'ForbiddenError';
  override readonly status = 403;
  override readonly code = 'forbidden';
}

export class NotFoundError extends AppError {
  override name = 'NotFoundError';
  override readonly status = 404;
  override readonly code = 'not_found';
}

export class ConflictError extends AppError {
  override name = 'ConflictError';
  override readonly status = 409;
  override readonly code = 'conflict';
}

/** 412: the request's If-Match names a version the resource no longer has (someone changed it meanwhile). */
export class PreconditionFailedError extends AppError {
  override name = 'PreconditionFailedError';
  override readonly status = 412;
  override readonly code = 'precondition_failed';
}

/** 428: a change that must name the version it was based on (If-Match) came without it. */
export class PreconditionRequiredError extends AppError {
  override name = 'PreconditionRequiredError';
  override readonly status = 428;
  override readonly code = 'precondition_required';
}

/** A dependency (DB, S3, a child process) failed; the message is for logs, never for clients. */
export class DependencyError extends AppError {
  override name = 'DependencyError';
  override readonly status = 503;
  override readonly code = 'dependency_unavailable';
}
