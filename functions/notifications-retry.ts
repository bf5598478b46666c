/**
 * POST /notifications/{id}/retry — a lead puts a failed notification back in the queue (a fresh set of delivery
 * rounds, due now); 409 unless it is failed. Answers the notification.
 * Trigger: HTTP API. Auth: lead key. No body. Env: MYSQL_URL or MYSQL_SECRET_ID, API_KEYS or API_KEYS_SECRET_ID.
 * IAM: secretsmanager:GetSecretValue on the DB and API-keys secrets.
 */
import { httpHandler, json, parseInput } from '../lib/http/handler.js';
import { readNotification, retryNotification } from '../lib/notify/repository.js';
import { notificationIdPathSchema } from '../lib/notify/schemas.js';

export const handler = httpHandler(
  async (event) => {
    const { id } = parseInput(notificationIdPathSchema, event.pathParameters ?? {}, 'path');
    await retryNotification(id);
    return json(200, await readNotification(id));
  },
  { auth: 'lead' },
);
