/**
 * Structured JSON logging (Powertools for AWS Lambda). One logger per process; jobs and handlers add their own
 * keys with `logger.appendKeys`. Level from POWERTOOLS_LOG_LEVEL or LOG_LEVEL (DEBUG, INFO, WARN, ERROR, SILENT).
 */
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({ serviceName: 'financial-monitor' });
