/**
 * Secrets from AWS Secrets Manager (the database settings, the API keys), read through Powertools Parameters. A
 * secret is kept for SECRETS_MAX_AGE_SECONDS (default 300) and read again after that, so a rotated secret reaches
 * warm containers within that time, without a cold start. Values are never logged and never part of an error.
 */
import { getConfig } from './config.js';
import { DependencyError } from './errors.js';

/**
 * The text of a secret (its SecretString). `what` names it in errors, e.g. 'the database secret'. Throws a
 * DependencyError when Secrets Manager cannot be read or the secret holds binary data.
 *
 * @example const json = await readSecretString(getConfig().MYSQL_SECRET_ID, 'the database secret');
 */
export async function readSecretString(secretId: string, what: string): Promise<string> {
  // Loaded on first use: functions configured with plain environment variables never load the SDK client.
  const { getSecret } = await import('@aws-lambda-powertools/parameters/secrets');
  let value: unknown;
  try {
    value = await getSecret(secretId, { maxAge: getConfig().SECRETS_MAX_AGE_SECONDS });
  } catch (error) {
    throw new DependencyError(`could not read ${what} from Secrets Manager`, { cause: error });
  }
  if (typeof value !== 'string') throw new DependencyError(`${what} holds no text (SecretString)`);
  return value;
}
