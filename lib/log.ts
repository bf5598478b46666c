/**
 * Structured JSON logging (Powertools for AWS Lambda). One logger per process; the HTTP and job wrappers add the
 * Lambda context to every line (injectLambdaContext) and jobs their own keys with `logger.appendKeys`.
 * Level from POWERTOOLS_LOG_LEVEL or LOG_LEVEL (DEBUG, INFO, WARN, ERROR, SILENT); with neither, INFO in Lambda
 * and WARN elsewhere — the CLIs print their own summaries (`LOG_LEVEL=INFO npm run backup` shows every step).
 */
import { Logger } from '@aws-lambda-powertools/logger';

const levelGiven = Boolean(
  process.env.POWERTOOLS_LOG_LEVEL || process.env.LOG_LEVEL || process.env.AWS_LAMBDA_FUNCTION_NAME,
);

export const logger = new Logger({
  serviceName: 'financial-monitor',
  // A level given here is the logger's initial one, which it returns to at each invocation (unlike setLogLevel).
  ...(levelGiven ? {} : { logLevel: 'WARN' as const }),
});
