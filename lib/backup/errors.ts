/**
 * Errors of the backup module. Each says what happened and what was (not) changed, so an operator reading one log
 * line knows whether anything needs cleaning up.
 */
import { AppError, DependencyError } from '../errors.js';

/** mysqldump / mysql failed, was killed, or timed out; carries the tail of the tool's stderr. */
export class DumpFailedError extends DependencyError {
  override name = 'DumpFailedError';
  constructor(
    message: string,
    readonly stderr: string,
    options?: ErrorOptions,
  ) {
    super(stderr ? `${message}; stderr: ${stderr}` : message, options);
  }
}

/** A stored backup does not match its manifest (sha256 or size): it is never applied. */
export class IntegrityError extends AppError {
  override name = 'IntegrityError';
  override readonly status = 422;
  override readonly code = 'integrity_check_failed';
}

/** A restore test found differences between the restored copy and the source's recorded figures. */
export class VerifyFailedError extends AppError {
  override name = 'VerifyFailedError';
  override readonly status = 500;
  override readonly code = 'verify_failed';
}
