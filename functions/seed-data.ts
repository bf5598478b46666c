/**
 * seed-data — fills the database with the synthetic bank and its labelled anomalies (lib/seed).
 * Trigger: manual invoke only (no schedule, no HTTP), e.g. `serverless invoke local --function seed-data --data '{"reset":true}'` or `aws lambda invoke` with
 * `{ "clients": 500, "transactions": 50000, "to": "2026-01-01", "seed": 42, "reset": true }`; the payload
 * takes the CLI's options (camelCase: anomalyRate, ifEmpty) and is validated by the same schema.
 * Env: MYSQL_URL or MYSQL_SECRET_ID. Loads with LOAD DATA LOCAL INFILE when the server allows it, else with
 * batched INSERTs (RDS default). All or nothing: a failed or timed-out run leaves the database as it was.
 * The dashboard's summaries follow in the refresh-summaries function, not within this invocation's deadline: its
 * on-success destination when invoked asynchronously (`--invocation-type Event`), else its schedule.
 * IAM (SeedDataRole): secretsmanager:GetSecretValue on the DB secret; lambda:InvokeFunction on refresh-summaries.
 */
import { jobHandler } from '../lib/jobs/handler.js';
import { seedOptionsSchema } from '../lib/seed/options.js';
import { runSeed } from '../lib/seed/run.js';

export const handler = jobHandler('seed-data', seedOptionsSchema, async (options) => runSeed(options));
