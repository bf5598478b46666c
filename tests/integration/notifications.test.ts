/**
 * Notifications against the real database and a real HTTP receiver that checks signatures and keeps ids: one outbox
 * row per event however often the scan attaches, escalations and missed due times, cases of old transactions not
 * paged, delivery exactly once to a receiver that fails every second request, concurrent publishers, giving up
 * after N rounds and a lead's retry through the API.
 */
import type { Context } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { handler as listHandler } from '../../functions/notifications-list.js';
import { handler as retryHandler } from '../../functions/notifications-retry.js';
import { updateCase } from '../../lib/cases/update.js';
import { type Config, getConfig } from '../../lib/config.js';
import { execute, query } from '../../lib/db/pool.js';
import type { HttpEvent } from '../../lib/http/handler.js';
import { gatherDigest, renderDigest } from '../../lib/notify/digest.js';
import { enqueueOverdueNotifications } from '../../lib/notify/outbox.js';
import { publishPending } from '../../lib/notify/publisher.js';
import { listNotificationsQuerySchema } from '../../lib/notify/schemas.js';
import getList from '../events/notifications-get-list.json' with { type: 'json' };
import postRetry from '../events/notifications-post-retry.json' with { type: 'json' };
import { type Receiver, startReceiver } from '../helpers/webhook-receiver.js';
import { ANALYST_KEY, LEAD_KEY, VIEWER_KEY } from './alerts-fixture.js';
import { attach, makeAlert, makeClient } from './cases-fixture.js';
import { HOSTILE, LEAKS } from './fuzz-inputs.js';

const SECRET = 'test-webhook-secret-0123456789';
const lead = { name: 'local-lead', role: 'lead' as const };

/** The DB's clock as a booking time, `hours` ago. */
async function bookedHoursAgo(hours: number): Promise<string> {
  const [row] = await query<{ t: string }>('SELECT NOW() - INTERVAL ? HOUR AS t', [hours]);
  return String(row?.t);
}

/** A client with a case opened by an alert of `risk` on a transaction booked `hoursAgo`; returns the case id. */
async function caseWith(risk: 'Medium' | 'High', hoursAgo = 1) {
  const { clientId, accountId } = await makeClient();
  const alert = await makeAlert(accountId, { risk, booked: await bookedHoursAgo(hoursAgo) });
  const result = await attach([alert.alertId]);
  return { caseId: Number(result.touched[0]), clientId, accountId, alertId: alert.alertId };
}

const notificationsOf = (caseId: number) =>
  query<{ id: number; kind: string; occurrence: string; status: string }>(
    'SELECT id, kind, occurrence, status FROM notifications WHERE case_id = ? ORDER BY id',
    [caseId],
  );

/** Publisher settings for tests: this receiver, short backoffs. */
function publisherConfig(url: string, overrides: Partial<Config> = {}): Config {
  return {
    ...getConfig(),
    NOTIFY_TOPIC_ARN: undefined,
    NOTIFY_WEBHOOKS: [{ name: 'test', url }],
    NOTIFY_WEBHOOK_SECRET: SECRET,
    NOTIFY_RETRY_BASE_MS: 20,
    NOTIFY_RETRY_MAX_MS: 100,
    NOTIFY_MAX_ATTEMPTS: 20,
    ...overrides,
  };
}

/** Publishes until nothing is pending (or 30 s). */
async function publishAll(config: Config, owner?: string) {
  const total = { sent: 0, retried: 0, failed: 0 };
  for (let round = 0; round < 30; round++) {
    const r = await publishPending({ budgetMs: 1_000, config, owner });
    total.sent += r.sent;
    total.retried += r.retried;
    total.failed += r.failed;
    const [pending] = await query<{ n: number }>(
      "SELECT COUNT(*) AS n FROM notifications WHERE status = 'pending'",
    );
    if (Number(pending?.n) === 0) break;
  }
  return total;
}

async function callApi(
  route: 'list' | 'retry',
  options: { key?: string; query?: Record<string, string>; id?: string } = {},
) {
  const event = structuredClone(route === 'list' ? getList : postRetry) as unknown as HttpEvent;
  event.headers = { ...event.headers, 'x-api-key': options.key ?? VIEWER_KEY };
  event.queryStringParameters = options.query;
  if (options.id !== undefined) event.pathParameters = { id: options.id };
  const handler = route === 'list' ? listHandler : retryHandler;
  const result = await handler(event as never, { awsRequestId: 'test' } as Context);
  return { status: result.statusCode, text: String(result.body), body: JSON.parse(String(result.body)) };
}

let receivers: Receiver[] = [];
afterEach(async () => {
  await Promise.all(receivers.map((r) => r.stop()));
  receivers = [];
  // Each test publishes only what it made: the others' rows are sent or failed before it starts.
  await execute(
    "UPDATE notifications SET status = 'failed', last_error = 'left by an earlier test' WHERE status = 'pending'",
  );
});

async function receiver(failEvery = 0) {
  const r = await startReceiver({ secret: SECRET, failEvery });
  receivers.push(r);
  return r;
}

describe('the notifications outbox', () => {
  it('writes one case_high notification for a case that opens High, none when the scan attaches again', async () => {
    const { caseId, accountId, alertId } = await caseWith('High');
    expect(await notificationsOf(caseId)).toMatchObject([{ kind: 'case_high', status: 'pending' }]);
    await attach([alertId]);
    const another = await makeAlert(accountId, { risk: 'High', booked: await bookedHoursAgo(1) });
    await attach([alertId, another.alertId]);
    await Promise.all([attach([another.alertId]), attach([alertId])]);
    expect(await notificationsOf(caseId)).toHaveLength(1);
  });

  it('notifies a Medium case once when it rises to High', async () => {
    const { caseId, accountId } = await caseWith('Medium');
    expect(await notificationsOf(caseId)).toEqual([]);
    const high = await makeAlert(accountId, { risk: 'High', booked: await bookedHoursAgo(2) });
    await attach([high.alertId]);
    expect(await notificationsOf(caseId)).toMatchObject([{ kind: 'case_high' }]);
  });

  it('pages no one for a case of old transactions, lists it in the digest, and notifies once fresh activity joins', async () => {
    const { caseId, accountId } = await caseWith('High', 24 * 5);
    expect(await notificationsOf(caseId)).toEqual([]);
    await execute('UPDATE cases SET due_at = NOW() - INTERVAL 1 HOUR WHERE id = ?', [caseId]);
    await enqueueOverdueNotifications();
    expect(await notificationsOf(caseId)).toEqual([]);
    const digest = await gatherDigest();
    expect(digest.oldTransactionCases.map((c) => c.id)).toContain(caseId);
    expect(renderDigest(digest).text).toContain(`case ${caseId}: High`);

    const fresh = await makeAlert(accountId, { risk: 'High', booked: await bookedHoursAgo(1) });
    await attach([fresh.alertId]);
    expect(await notificationsOf(caseId)).toMatchObject([{ kind: 'case_high' }]);
  });

  it('notifies each escalation once: a retried PATCH adds none, a second escalation after a send-back one more', async () => {
    const { caseId } = await caseWith('Medium');
    const version = async () =>
      Number(
        (await query<{ version: number }>('SELECT version FROM cases WHERE id = ?', [caseId]))[0]?.version,
      );
    const people = new Set(['local-lead']);
    await updateCase(caseId, { status: 'investigating' }, await version(), lead, people);
    await updateCase(caseId, { status: 'escalated' }, await version(), lead, people);
    await updateCase(caseId, { status: 'escalated' }, await version(), lead, people); // a retry: changes nothing
    expect(await notificationsOf(caseId)).toMatchObject([{ kind: 'case_escalated' }]);
    await updateCase(caseId, { status: 'investigating' }, await version(), lead, people);
    await updateCase(caseId, { status: 'escalated' }, await version(), lead, people);
    const rows = await notificationsOf(caseId);
    expect(rows.map((r) => r.kind)).toEqual(['case_escalated', 'case_escalated']);
    expect(new Set(rows.map((r) => r.occurrence)).size).toBe(2);
  });

  it('notifies a missed due time once, however many checks run, at once too', async () => {
    const { caseId } = await caseWith('Medium');
    await execute('UPDATE cases SET due_at = NOW() - INTERVAL 5 MINUTE WHERE id = ?', [caseId]);
    await Promise.all([enqueueOverdueNotifications(), enqueueOverdueNotifications()]);
    await enqueueOverdueNotifications();
    expect(await notificationsOf(caseId)).toMatchObject([{ kind: 'case_overdue' }]);
    await execute(
      "UPDATE cases SET status = 'closed', disposition = 'not_suspicious', closed_at = NOW() WHERE id = ?",
      [caseId],
    );
    const { caseId: closedEarlier } = await caseWith('Medium');
    await execute(
      "UPDATE cases SET due_at = NOW() - INTERVAL 5 MINUTE, status = 'closed', disposition = 'confirmed', closed_at = NOW() WHERE id = ?",
      [closedEarlier],
    );
    await enqueueOverdueNotifications();
    expect(await notificationsOf(closedEarlier)).toEqual([]);
  });
});

describe('the publisher', () => {
  it('delivers each notification exactly once to a receiver that fails every second request, none lost', async () => {
    const r = await receiver(2);
    const cases = [];
    for (let i = 0; i < 30; i++) cases.push((await caseWith('High')).caseId);
    const ids = (
      await query<{ id: number }>('SELECT id FROM notifications WHERE case_id IN (?)', [cases])
    ).map((x) => Number(x.id));
    expect(ids).toHaveLength(30);
    const result = await publishAll(publisherConfig(r.url));
    expect(result.sent).toBe(30);
    expect(r.failed).toBeGreaterThan(0);
    expect(r.refused).toBe(0);
    expect([...r.accepted.keys()].sort((a, b) => a - b)).toEqual(ids.sort((a, b) => a - b));
    expect(r.duplicates).toBe(0);
    const rows = await query<{ status: string; n: number }>(
      'SELECT status, COUNT(*) AS n FROM notifications WHERE id IN (?) GROUP BY status',
      [ids],
    );
    expect(rows).toEqual([{ status: 'sent', n: 30 }]);
  });

  it('never delivers one notification twice when publishers run at once', async () => {
    const r = await receiver(2);
    for (let i = 0; i < 40; i++) await caseWith('High');
    const [pending] = await query<{ n: number }>(
      "SELECT COUNT(*) AS n FROM notifications WHERE status = 'pending'",
    );
    const config = publisherConfig(r.url, { NOTIFY_CONCURRENCY: 4 });
    const results = await Promise.all(
      ['a', 'b', 'c'].map((owner) => publishAll(config, `publisher-${owner}`)),
    );
    expect(results.reduce((n, x) => n + x.sent, 0)).toBe(Number(pending?.n));
    expect(r.accepted.size).toBe(Number(pending?.n));
    expect(r.duplicates).toBe(0);
    expect(r.requests).toBe(r.accepted.size + r.failed);
  });

  it('takes over the rows of a publisher whose lease ended, and leaves those still leased alone', async () => {
    const r = await receiver(0);
    const dead = (await caseWith('High')).caseId;
    const busy = (await caseWith('High')).caseId;
    await execute(
      "UPDATE notifications SET claimed_by = 'died', claimed_until = NOW(3) - INTERVAL 1 SECOND WHERE case_id = ?",
      [dead],
    );
    await execute(
      "UPDATE notifications SET claimed_by = 'busy', claimed_until = NOW(3) + INTERVAL 1 MINUTE WHERE case_id = ?",
      [busy],
    );
    const result = await publishPending({ budgetMs: 500, config: publisherConfig(r.url) });
    expect(result.sent).toBe(1);
    const rows = await query<{ case_id: number; status: string; claimed_by: string | null }>(
      'SELECT case_id, status, claimed_by FROM notifications WHERE case_id IN (?) ORDER BY case_id',
      [[dead, busy]],
    );
    expect(rows).toEqual([
      { case_id: dead, status: 'sent', claimed_by: null },
      { case_id: busy, status: 'pending', claimed_by: 'busy' },
    ]);
    expect(r.accepted.size).toBe(1);
  });

  it('gives up after NOTIFY_MAX_ATTEMPTS rounds, shows it through the API, and a lead may retry it', async () => {
    const down = await receiver(1);
    const { caseId } = await caseWith('High');
    const result = await publishAll(publisherConfig(down.url, { NOTIFY_MAX_ATTEMPTS: 3 }));
    expect(result).toMatchObject({ failed: 1, retried: 2, sent: 0 });
    expect(down.failed).toBe(3);

    const failed = await callApi('list', { query: { status: 'failed', case_id: String(caseId) } });
    expect(failed.status).toBe(200);
    expect(failed.body.data).toMatchObject([
      {
        case_id: caseId,
        kind: 'case_high',
        status: 'failed',
        attempts: 3,
        last_error: 'webhook:test: answered HTTP 500',
        deliveries: [{ destination: 'webhook:test', status: 'failed', attempts: 3 }],
      },
    ]);
    expect(failed.text).not.toContain(SECRET);
    expect(failed.text).not.toContain(down.url);
    const id = String(failed.body.data[0].id);

    expect((await callApi('retry', { id, key: ANALYST_KEY })).status).toBe(403);
    const retried = await callApi('retry', { id, key: LEAD_KEY });
    expect(retried).toMatchObject({ status: 200, body: { status: 'pending', attempts: 0 } });
    expect((await callApi('retry', { id, key: LEAD_KEY })).body.status).toBe('pending'); // a repeated request
    expect((await callApi('retry', { id: '999999', key: LEAD_KEY })).status).toBe(404);

    const up = await receiver(0);
    await publishAll(publisherConfig(up.url));
    expect([...up.accepted.keys()]).toEqual([Number(id)]);
    const sent = await callApi('list', { query: { case_id: String(caseId) } });
    expect(sent.body.data[0]).toMatchObject({ status: 'sent', last_error: null });
    expect((await callApi('retry', { id, key: LEAD_KEY })).status).toBe(409); // only a failed one
  });

  it('pages GET /notifications newest first without skipping or repeating, and validates its query', async () => {
    for (let i = 0; i < 5; i++) await caseWith('High');
    const all = await query<{ id: number }>('SELECT id FROM notifications ORDER BY id DESC');
    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await callApi('list', { query: { limit: '2', ...(cursor ? { cursor } : {}) } });
      expect(page.status).toBe(200);
      seen.push(...page.body.data.map((n: { id: number }) => n.id));
      cursor = page.body.next_cursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(all.map((r) => Number(r.id)));
    expect((await callApi('list', { query: { status: 'lost' } })).status).toBe(400);
    expect((await callApi('list', { query: { case: '1' } })).status).toBe(400);
    expect((await callApi('list', { key: 'not-a-key' })).status).toBe(401);
  });
});

describe('the notifications API under hostile input', () => {
  it('answers every hostile query, id and key without a 5xx, leaks nothing, and changes no notification', async () => {
    await caseWith('High');
    const state = () => query('SELECT id, status, attempts, next_attempt_at FROM notifications ORDER BY id');
    const before = await state();
    const replies: Array<[string, Awaited<ReturnType<typeof callApi>>]> = [];
    for (const name of Object.keys(listNotificationsQuerySchema.shape)) {
      for (const value of HOSTILE)
        replies.push([`list ${name}=${value}`, await callApi('list', { query: { [name]: value } })]);
    }
    for (const id of HOSTILE) replies.push([`retry ${id}`, await callApi('retry', { id, key: LEAD_KEY })]);
    for (const key of HOSTILE.slice(0, 20)) replies.push([`key ${key}`, await callApi('list', { key })]);
    for (const [label, reply] of replies) {
      expect(reply.status, label).toBeLessThan(500);
      expect(reply.text, label).not.toMatch(LEAKS);
      if (reply.status !== 200) expect(reply.body.error?.code, label).toEqual(expect.any(String));
    }
    expect(replies.some(([, r]) => r.status === 400)).toBe(true);
    expect(await state()).toEqual(before);
  });
});
