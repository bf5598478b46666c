/**
 * Errors of the alerts API beyond the shared ones in lib/errors.ts.
 */
import { AppError } from '../errors.js';

/** 422: the request is well-formed but names something that does not exist (e.g. an unknown transaction). */
export class UnprocessableError extends AppError {
  override name = 'UnprocessableError';
  override readonly status = 422;
  override readonly code = 'unprocessable';
}
