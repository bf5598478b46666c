/**
 * scan-rescan — the steps of a partitioned full rescan (lib/scan/rescan), invoked by the rescan state machine
 * (serverless.yml stepFunctions: prepare → Map of histogram slices → network stage → Map of client partitions →
 * finalize, and abandon from its Catch), one step per invocation, chosen by `step`:
 * `{ "step": "prepare", "owner": "<execution name>", "partitions": 64 }` → the plan (the Maps' items);
 * `{ "step": "part", "rescanId", "owner", "kind": "histogram" | "clients" | "network", "part" }`;
 * `{ "step": "finalize", "rescanId", "owner" }`; `{ "step": "abandon", "rescanId", "owner", "error"? }`.
 * Trigger: the state machine only (start it with `npm run rescan -- --stage <stage>`). Env: MYSQL_URL or MYSQL_SECRET_ID.
 * IAM (ScanRescanRole): secretsmanager:GetSecretValue on the DB secret only.
 */
import { jobHandler } from '../lib/jobs/handler.js';
import { rescanStepEvent } from '../lib/scan/rescan/events.js';
import { abandonRescan, finalizeRescan } from '../lib/scan/rescan/finalize.js';
import { runRescanPart } from '../lib/scan/rescan/part.js';
import { prepareRescan } from '../lib/scan/rescan/prepare.js';

export const handler = jobHandler('scan-rescan', rescanStepEvent, async (event) => {
  switch (event.step) {
    case 'prepare':
      return prepareRescan({ partitions: event.partitions, owner: event.owner });
    case 'part':
      return runRescanPart({
        rescanId: event.rescanId,
        owner: event.owner,
        kind: event.kind,
        part: event.part,
      });
    case 'finalize':
      return finalizeRescan(event);
    case 'abandon': {
      const why = [event.error?.Error, event.error?.Cause].filter(Boolean).join(': ') || 'abandoned';
      await abandonRescan(event, `the state machine gave up: ${why}`.slice(0, 2000));
      return { abandoned: event.rescanId };
    }
  }
});
