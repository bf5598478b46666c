/**
 * The cases API end to end, in-process against the real database: the queue and its keyset pages, one case with
 * everything an analyst needs, the workflow with optimistic concurrency, the role matrix and validation.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { caseDetailSchema, caseListSchema } from '../../lib/cases/schemas.js';
import { execute, query } from '../../lib/db/pool.js';
import { ANALYST_KEY, call, LEAD_KEY, VIEWER_KEY } from './alerts-fixture.js';
import { attach, makeAlert, makeClient } from './cases-fixture.js';

/** A fresh client with a High case holding two alerts (the second's evidence names `relatedTx`); its case id. */
async function newCase(
  relatedTx?: number,
): Promise<{ caseId: number; alertIds: number[]; clientId: number }> {
  const { clientId, accountId } = await makeClient();
  const a = await makeAlert(accountId, { risk: 'High', rule: 'fan-in' });
  const b = await makeAlert(accountId, {
    risk: 'Low',
    rule: 'high-amount',
    related: relatedTx ? [relatedTx] : [],
  });
  const { touched } = await attach([a.alertId, b.alertId]);
  return { caseId: touched[0] as number, alertIds: [a.alertId, b.alertId], clientId };
}

const patch = (id: number, body: unknown, key: string, version?: number | string) =>
  call('case-update', {
    id: String(id),
    body,
    key,
    headers:
      version === undefined ? {} : { 'if-match': typeof version === 'number' ? `"${version}"` : version },
  });

async function versionOf(id: number): Promise<number> {
  const reply = await call('case-get', { id: String(id), key: VIEWER_KEY });
  return Number(JSON.parse(String(reply.headers.etag)));
}

describe('GET /cases/{id}', () => {
  it('shows the case, its alerts with evidence, the client’s transactions marked, related clients; PII masked for viewers', async () => {
    const other = await makeClient();
    const { txId: otherTx } = await makeAlert(other.accountId, { risk: 'Low' });
    const { caseId, alertIds, clientId } = await newCase(otherTx);
    const viewer = await call('case-get', { id: String(caseId), key: VIEWER_KEY });
    expect(viewer.status).toBe(200);
    expect(caseDetailSchema.parse(viewer.body)).toBeTruthy();
    expect(viewer.headers.etag).toBe(`"${viewer.body.version}"`);
    expect(viewer.body).toMatchObject({
      kind: 'client',
      client_id: clientId,
      risk_level: 'High',
      alert_count: 2,
    });
    expect(viewer.body.alerts.map((a: { id: number }) => a.id)).toEqual(alertIds);
    expect(viewer.body.alerts[1].evidence).toEqual({ relatedTransactionIds: [otherTx] });
    expect(viewer.body.client.identifier).toMatch(/^\*+\d{1,4}$/);
    const marked = viewer.body.transactions.filter((t: { alert_ids: number[] }) => t.alert_ids.length > 0);
    expect(marked.flatMap((t: { alert_ids: number[] }) => t.alert_ids).sort()).toEqual([...alertIds].sort());
    expect(viewer.body.related_clients).toEqual([
      expect.objectContaining({
        id: other.clientId,
        via: [`evidence of alert ${alertIds[1]} (rapid transfers)`],
      }),
    ]);
    const analyst = await call('case-get', { id: String(caseId), key: ANALYST_KEY });
    expect(analyst.body.client.identifier).not.toContain('*');
  });

  it('answers 404 for a case that does not exist and 400 for an id that is not one', async () => {
    expect((await call('case-get', { id: '999999', key: VIEWER_KEY })).status).toBe(404);
    expect((await call('case-get', { id: '0', key: VIEWER_KEY })).body.error.problems[0].field).toBe(
      'path.id',
    );
  });
});

describe('PATCH /cases/{id}', () => {
  it('requires If-Match (428) and refuses a stale one (412), changing nothing', async () => {
    const { caseId } = await newCase();
    const version = await versionOf(caseId);
    const missing = await patch(caseId, { status: 'investigating' }, ANALYST_KEY);
    expect([missing.status, missing.body.error.code]).toEqual([428, 'precondition_required']);
    expect((await patch(caseId, { status: 'investigating' }, ANALYST_KEY, '*')).status).toBe(428);
    const stale = await patch(caseId, { status: 'investigating' }, ANALYST_KEY, version - 1);
    expect([stale.status, stale.body.error.code]).toEqual([412, 'precondition_failed']);
    expect(await versionOf(caseId)).toBe(version);
    const ok = await patch(caseId, { status: 'investigating' }, ANALYST_KEY, version);
    expect(ok.status).toBe(200);
    expect(ok.headers.etag).toBe(`"${version + 1}"`);
    expect(ok.body).toMatchObject({ status: 'investigating', assignee: 'local-analyst' }); // claimed by moving it
    const replay = await patch(caseId, { status: 'escalated' }, ANALYST_KEY, version);
    expect(replay.status).toBe(412);
  });

  it('closing closes the case’s alerts; only a lead reopens, which reopens them', async () => {
    const { caseId, alertIds } = await newCase();
    const closing = { status: 'closed', disposition: 'not_suspicious', note: 'Salary from a known employer' };
    const closed = await patch(caseId, closing, ANALYST_KEY, await versionOf(caseId));
    expect(closed.status).toBe(200);
    expect(closed.body).toMatchObject({ status: 'closed', disposition: 'not_suspicious' });
    expect(closed.body.closed_at).toEqual(expect.any(String));
    expect(closed.body.notes.map((n: { note: string }) => n.note)).toEqual([closing.note]);
    const alerts = await query('SELECT status, disposition FROM alerts WHERE id IN (?) ORDER BY id', [
      alertIds,
    ]);
    expect(alerts).toEqual(alertIds.map(() => ({ status: 'closed', disposition: 'not_suspicious' })));
    const version = Number(closed.body.version);
    const repeat = await patch(caseId, closing, ANALYST_KEY, version);
    expect([repeat.status, repeat.body.version, repeat.body.notes.length]).toEqual([200, version, 1]); // a retry
    const redecide = await patch(caseId, { ...closing, disposition: 'confirmed' }, ANALYST_KEY, version);
    expect(redecide.status).toBe(409);
    const byAnalyst = await patch(caseId, { status: 'open' }, ANALYST_KEY, version);
    expect([byAnalyst.status, byAnalyst.body.error.message]).toEqual([
      403,
      `only a lead may reopen case ${caseId}`,
    ]);
    const byLead = await patch(
      caseId,
      { status: 'open', note: 'New information from the branch' },
      LEAD_KEY,
      version,
    );
    expect(byLead.status).toBe(200);
    expect(byLead.body).toMatchObject({ status: 'open', disposition: null, closed_at: null });
    const reopened = await query('SELECT status, disposition FROM alerts WHERE id IN (?) ORDER BY id', [
      alertIds,
    ]);
    expect(reopened).toEqual(alertIds.map(() => ({ status: 'open', disposition: null })));
    const history = byLead.body.history.filter((h: { field: string }) => h.field === 'status');
    expect(history.slice(-2)).toEqual([
      expect.objectContaining({ changed_by: 'local-analyst', old_value: 'open', new_value: 'closed' }),
      expect.objectContaining({ changed_by: 'local-lead', old_value: 'closed', new_value: 'open' }),
    ]);
  });

  it('refuses to reopen a case once the client has a newer open one (409)', async () => {
    const { caseId, clientId } = await newCase();
    const closing = { status: 'closed', disposition: 'confirmed', note: 'Reported' };
    const closed = await patch(caseId, closing, LEAD_KEY, await versionOf(caseId));
    const [account] = await query<{ id: number }>('SELECT id FROM accounts WHERE client_id = ?', [clientId]);
    const later = new Date(Date.now() + 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
    await attach([(await makeAlert(Number(account?.id), { risk: 'Medium', booked: later })).alertId]);
    const reopen = await patch(caseId, { status: 'open' }, LEAD_KEY, Number(closed.body.version));
    expect(reopen.status).toBe(409);
    expect(reopen.body.error.message).toMatch(/another open case/);
  });

  it('applies the role matrix: viewer reads only; analysts work their own or unassigned cases; leads assign', async () => {
    const { caseId } = await newCase();
    let version = await versionOf(caseId);
    expect((await patch(caseId, { note: 'x' }, VIEWER_KEY, version)).status).toBe(403);
    expect((await patch(caseId, { assignee: 'someone-else' }, ANALYST_KEY, version)).status).toBe(422);
    expect((await patch(caseId, { assignee: 'local-lead' }, ANALYST_KEY, version)).status).toBe(403);
    const assigned = await patch(caseId, { assignee: 'local-lead' }, LEAD_KEY, version);
    expect(assigned.body.assignee).toBe('local-lead');
    version = Number(assigned.body.version);
    const notTheirs = await patch(caseId, { status: 'investigating' }, ANALYST_KEY, version);
    expect([notTheirs.status, notTheirs.body.error.message]).toEqual([
      403,
      `case ${caseId} is assigned to local-lead; only they or a lead may work it`,
    ]);
    const note = await call('case-note', { id: String(caseId), body: { note: 'Looking' }, key: ANALYST_KEY });
    expect(note.status).toBe(403);
    const reassigned = await patch(caseId, { assignee: 'local-analyst' }, LEAD_KEY, version);
    expect(reassigned.body.assignee).toBe('local-analyst');
    const escalated = await patch(caseId, { status: 'investigating' }, ANALYST_KEY, reassigned.body.version);
    const up = await patch(caseId, { status: 'escalated' }, ANALYST_KEY, escalated.body.version);
    expect(up.body.status).toBe('escalated');
    const decide = { status: 'closed', disposition: 'confirmed', note: 'SAR filed' };
    expect((await patch(caseId, decide, ANALYST_KEY, up.body.version)).status).toBe(403);
    expect((await patch(caseId, decide, LEAD_KEY, up.body.version)).status).toBe(200);
  });

  it('refuses a move the workflow has not (409) and invalid bodies (400) naming the field', async () => {
    const { caseId } = await newCase();
    const version = await versionOf(caseId);
    expect((await patch(caseId, { status: 'escalated' }, ANALYST_KEY, version)).status).toBe(409);
    const cases: Array<[unknown, string]> = [
      [{}, 'body'],
      [{ status: 'closed' }, 'body.disposition'],
      [{ status: 'closed', disposition: 'confirmed' }, 'body.note'],
      [{ status: 'open', disposition: 'confirmed' }, 'body.disposition'],
      [{ status: 'done' }, 'body.status'],
      [{ assignee: 'a b' }, 'body.assignee'],
      [{ note: 'x', priority: 1 }, 'body'],
    ];
    for (const [body, field] of cases) {
      const reply = await patch(caseId, body, ANALYST_KEY, version);
      expect([JSON.stringify(body), reply.status]).toEqual([JSON.stringify(body), 400]);
      expect(reply.body.error.problems.map((p: { field: string }) => p.field)).toContain(field);
    }
    expect(await versionOf(caseId)).toBe(version);
  });
});

describe('POST /cases/{id}/notes', () => {
  it('adds a note by the key’s person and bumps the version; a retry adds nothing', async () => {
    const { caseId } = await newCase();
    const version = await versionOf(caseId);
    const reply = await call('case-note', {
      id: String(caseId),
      body: { note: 'Called the client' },
      key: ANALYST_KEY,
    });
    expect(reply.status).toBe(201);
    expect(reply.headers.etag).toBe(`"${version + 1}"`);
    expect(reply.body.notes).toEqual([
      expect.objectContaining({ author: 'local-analyst', note: 'Called the client' }),
    ]);
    const retry = await call('case-note', {
      id: String(caseId),
      body: { note: 'Called the client' },
      key: ANALYST_KEY,
    });
    expect([retry.body.notes.length, retry.headers.etag]).toEqual([1, `"${version + 1}"`]);
    expect((await call('case-note', { id: String(caseId), body: { note: '' } })).status).toBe(400);
    expect((await call('case-note', { id: '999999', body: { note: 'x' } })).status).toBe(404);
  });
});

describe('GET /cases', () => {
  beforeAll(async () => {
    // 24 cases whose due times and priorities tie in groups, so paging must break ties by id.
    for (let i = 0; i < 24; i++) {
      const { caseId } = await newCase();
      await execute('UPDATE cases SET due_at = ?, priority = ? WHERE id = ?', [
        `2030-01-0${(i % 3) + 1} 00:00:00`,
        800 + (i % 2) * 100,
        caseId,
      ]);
    }
  });

  it('pages the whole queue in due, priority, id order without skipping or repeating, ties included', async () => {
    const expected = await query<{ id: number }>('SELECT id FROM cases ORDER BY due_at, priority DESC, id');
    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const reply = await call('case-list', {
        query: { limit: '5', ...(cursor ? { cursor } : {}) },
        key: VIEWER_KEY,
      });
      expect(reply.status).toBe(200);
      caseListSchema.parse(reply.body);
      seen.push(...reply.body.data.map((c: { id: number }) => c.id));
      cursor = reply.body.next_cursor ?? undefined;
    } while (cursor);
    expect(seen).toEqual(expected.map((r) => Number(r.id)));
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('filters by status, assignee, min_risk, client and overdue', async () => {
    const { caseId, clientId } = await newCase();
    await execute("UPDATE cases SET due_at = NOW() - INTERVAL 1 HOUR, assignee = 'local-lead' WHERE id = ?", [
      caseId,
    ]);
    const ids = async (q: Record<string, string>) =>
      (await call('case-list', { query: q, key: VIEWER_KEY })).body.data.map((c: { id: number }) => c.id);
    expect(await ids({ client_id: String(clientId) })).toEqual([caseId]);
    expect(await ids({ assignee: 'local-lead', overdue: 'true' })).toEqual([caseId]);
    expect(await ids({ overdue: 'true', status: 'closed' })).toEqual([]);
    expect(await ids({ client_id: String(clientId), status: 'open,investigating,escalated' })).toEqual([
      caseId,
    ]);
    expect(await ids({ client_id: String(clientId), status: 'investigating,closed' })).toEqual([]);
    expect(await ids({ overdue: 'false' })).not.toContain(caseId);
    expect(await ids({ assignee: 'none', client_id: String(clientId) })).toEqual([]);
    expect(await ids({ min_risk: 'High', client_id: String(clientId) })).toEqual([caseId]);
    const overdue = await call('case-list', { query: { client_id: String(clientId) }, key: VIEWER_KEY });
    expect(overdue.body.data[0].overdue).toBe(true);
  });

  it('rejects bad filters and a cursor replayed with other filters (400)', async () => {
    const first = await call('case-list', { query: { limit: '2' }, key: VIEWER_KEY });
    const replayed = await call('case-list', {
      query: { limit: '2', status: 'open', cursor: first.body.next_cursor },
      key: VIEWER_KEY,
    });
    expect(replayed.body.error.problems[0].field).toBe('query.cursor');
    const bad: Array<Record<string, string>> = [
      { status: 'new' },
      { status: 'open,' },
      { status: 'open,new' },
      { overdue: 'yes' },
      { min_risk: 'high' },
      { limit: '0' },
      { sort: 'x' },
    ];
    for (const q of bad) {
      expect((await call('case-list', { query: q, key: VIEWER_KEY })).status).toBe(400);
    }
  });
});

describe('GET /alerts?min_risk', () => {
  it('lists the alerts at or above the risk', async () => {
    const { alertIds, clientId } = await newCase();
    const reply = await call('list', {
      query: { client_id: String(clientId), min_risk: 'Medium' },
      key: VIEWER_KEY,
    });
    expect(reply.body.data.map((a: { id: number }) => a.id)).toEqual([alertIds[0]]);
  });
});
