/**
 * The payloads of a rescan's steps, validated wherever a step starts: the scan-rescan Lambda (functions/scan-rescan.ts,
 * driven by the state machine) and the local worker processes (worker.ts).
 */
import { z } from 'zod';
import { MAX_PARTITIONS } from './plan.js';

const lease = {
  rescanId: z.number().int().positive(),
  owner: z.string().min(1).max(200),
};

/** One part of a prepared rescan (prepare.ts PartRef). */
export const partEvent = z
  .object({
    ...lease,
    kind: z.enum(['histogram', 'clients', 'network']),
    part: z.number().int().min(0).max(MAX_PARTITIONS),
  })
  .strict();

/** The steps the state machine invokes, by `step`. */
export const rescanStepEvent = z.discriminatedUnion('step', [
  z
    .object({
      step: z.literal('prepare'),
      owner: lease.owner,
      partitions: z.number().int().min(1).max(MAX_PARTITIONS),
    })
    .strict(),
  partEvent.extend({ step: z.literal('part') }).strict(),
  z.object({ step: z.literal('finalize'), ...lease }).strict(),
  z
    .object({
      step: z.literal('abandon'),
      ...lease,
      /** The state machine's Catch passes the error it caught ({ Error, Cause }). */
      error: z
        .object({ Error: z.string().optional(), Cause: z.string().optional() })
        .passthrough()
        .optional(),
    })
    .strict(),
]);
