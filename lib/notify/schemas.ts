/**
 * The notifications API's contract (GET /notifications, POST /notifications/{id}/retry) as zod schemas, like
 * ../cases/schemas.ts: requests are validated with them (unknown fields rejected), responses described by them.
 */
import { z } from 'zod';
import {
  apiRegistry,
  cursorParam,
  idString,
  isoTimeSchema,
  limitParam,
  pageSchema,
  strict,
} from '../alerts/schemas.js';
import { NOTIFICATION_KINDS } from './outbox.js';

export const NOTIFICATION_STATUSES = ['pending', 'sent', 'failed'] as const;

const oneOf = (values: readonly string[]) => `expects one of ${values.join(', ')}`;

export const listNotificationsQuerySchema = strict({
  status: z
    .enum(NOTIFICATION_STATUSES, { message: oneOf(NOTIFICATION_STATUSES) })
    .optional()
    .meta({ description: 'only notifications in this state' }),
  kind: z
    .enum(NOTIFICATION_KINDS, { message: oneOf(NOTIFICATION_KINDS) })
    .optional()
    .meta({ description: 'only this kind of event' }),
  case_id: idString.optional().meta({ description: 'only this case’s notifications' }),
  limit: limitParam,
  cursor: cursorParam,
});
export type ListNotificationsQuery = z.output<typeof listNotificationsQuerySchema>;

export const notificationIdPathSchema = strict({ id: idString.meta({ description: 'the notification id' }) });

export const notificationSchema = z.object({
  id: z.number().int().meta({ description: 'carried by every message (and a webhook’s Idempotency-Key)' }),
  case_id: z.number().int(),
  kind: z.enum(NOTIFICATION_KINDS),
  status: z.enum(NOTIFICATION_STATUSES),
  attempts: z.number().int().meta({ description: 'delivery rounds tried' }),
  next_attempt_at: isoTimeSchema.nullable().meta({ description: 'when a pending one is tried next' }),
  last_error: z.string().nullable().meta({ description: 'why the last round failed, per destination' }),
  created_at: isoTimeSchema,
  sent_at: isoTimeSchema.nullable(),
  deliveries: z.array(
    z.object({
      destination: z.string().meta({ description: '`sns` or `webhook:<name>`' }),
      status: z.enum(['sent', 'failed']),
      attempts: z.number().int(),
      last_error: z.string().nullable(),
      updated_at: isoTimeSchema,
    }),
  ),
  case: z
    .record(z.string(), z.unknown())
    .meta({ description: 'the case as the event found it (no personal data)' }),
});
apiRegistry.add(notificationSchema, { id: 'Notification' });
export type Notification = z.infer<typeof notificationSchema>;

export const notificationListSchema = pageSchema(notificationSchema);
apiRegistry.add(notificationListSchema, { id: 'NotificationList' });
