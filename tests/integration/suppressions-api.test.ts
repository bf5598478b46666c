/**
 * Suppressions through the API, in-process against the real database: made by closing a case or an alert as a false
 * positive (in the same transaction as the closing — a failure leaves neither), validated, audited, listed in keyset
 * pages, revoked by a lead or their creator, and the role matrix.
 */
import { describe, expect, it } from 'vitest';
import { query } from '../../lib/db/pool.js';
import { suppressionListSchema, suppressionSchema } from '../../lib/suppressions/schemas.js';
import { ANALYST_KEY, call, LEAD_KEY, VIEWER_KEY } from './alerts-fixture.js';
import { attach, makeAlert, makeClient } from './cases-fixture.js';

const DAY_MS = 86_400_000;
/** The UTC date `days` from today. */
const inDays = (days: number) => new Date(Date.now() + days * DAY_MS).toISOString().slice(0, 10);

/** A fresh client with a High case holding a fan-in and a high-amount alert. */
async function newCase() {
  const { clientId, accountId } = await makeClient();
  const a = await makeAlert(accountId, { risk: 'High', rule: 'fan-in' });
  const b = await makeAlert(accountId, { risk: 'Low', rule: 'high-amount' });
  const { touched } = await attach([a.alertId, b.alertId]);
  return { caseId: touched[0] as number, clientId, accountId, alertIds: [a.alertId, b.alertId] };
}

async function versionOf(id: number): Promise<number> {
  const reply = await call('case-get', { id: String(id), key: VIEWER_KEY });
  return Number(JSON.parse(String(reply.headers.etag)));
}

/** Closes case `id` as a false positive with `suppress`, as `key`. */
async function closeCase(id: number, suppress: unknown, key = ANALYST_KEY) {
  return call('case-update', {
    id: String(id),
    key,
    body: { status: 'closed', disposition: 'false_positive', note: 'Monthly rent to a landlord', suppress },
    headers: { 'if-match': `"${await versionOf(id)}"` },
  });
}

const suppressionsOf = (clientId: number) =>
  query<{ id: number; rule_id: string; counterparty: string | null; created_by: string; reason: string }>(
    'SELECT id, rule_id, counterparty, created_by, reason FROM suppressions WHERE client_id = ? ORDER BY id',
    [clientId],
  );

describe('closing a case as a false positive with suppressions', () => {
  it('adds them in the same change, audited in the case’s and the suppressions’ history', async () => {
    const { caseId, clientId } = await newCase();
    const until = inDays(30);
    const reply = await closeCase(caseId, [
      { rule: 'high-amount', until },
      { rule: 'fan-in', counterparty: 'de89 3704 0044 0532 0130 00', until, reason: 'Known landlord' },
    ]);
    expect(reply.status, reply.text).toBe(200);
    const rows = await suppressionsOf(clientId);
    expect(rows).toEqual([
      expect.objectContaining({ rule_id: 'high-amount', counterparty: null, created_by: 'local-analyst' }),
      expect.objectContaining({
        rule_id: 'fan-in',
        counterparty: 'DE89370400440532013000',
        reason: 'Known landlord',
      }),
    ]);
    expect(rows[0]?.reason).toBe('Monthly rent to a landlord');
    const history = reply.body.history.filter((h: { field: string }) => h.field === 'suppression');
    expect(history.map((h: { new_value: string }) => h.new_value)).toEqual([
      `#${rows[0]?.id} high-amount until ${until}`,
      `#${rows[1]?.id} fan-in counterparty DE89370400440532013000 until ${until}`,
    ]);
    expect(history.every((h: { changed_by: string }) => h.changed_by === 'local-analyst')).toBe(true);
    const list = await call('suppression-list', { query: { client_id: String(clientId) }, key: VIEWER_KEY });
    expect(list.status).toBe(200);
    expect(suppressionListSchema.parse(list.body)).toBeTruthy();
    expect(list.body.data.map((s: { id: number }) => s.id)).toEqual([rows[1]?.id, rows[0]?.id]);
    expect(list.body.data[1]).toMatchObject({
      state: 'active',
      until,
      case_id: caseId,
      alert_id: null,
      created_by: 'local-analyst',
      findings_suppressed: 0,
      history: [expect.objectContaining({ action: 'created', changed_by: 'local-analyst' })],
    });
  });

  it('rolls the closing back when a suppression cannot be made: the case, its alerts and history stay as they were', async () => {
    const { caseId, clientId, alertIds } = await newCase();
    const version = await versionOf(caseId);
    const [historyBefore] = await query<{ n: number }>(
      'SELECT COUNT(*) AS n FROM case_history WHERE case_id = ?',
      [caseId],
    );
    // structuring is a rule, but none of the case's alerts is of it: refused after the case row was written.
    const reply = await closeCase(caseId, [
      { rule: 'high-amount', until: inDays(10) },
      { rule: 'structuring', until: inDays(10) },
    ]);
    expect(reply.status, reply.text).toBe(422);
    expect(reply.body.error.message).toMatch(/has no alert of structuring; it can suppress/);
    expect(await versionOf(caseId)).toBe(version);
    const [c] = await query<{ status: string }>('SELECT status FROM cases WHERE id = ?', [caseId]);
    expect(c?.status).toBe('open');
    const alerts = await query<{ status: string }>('SELECT status FROM alerts WHERE id IN (?)', [alertIds]);
    expect(alerts.map((a) => a.status)).toEqual(['open', 'open']);
    const [historyAfter] = await query<{ n: number }>(
      'SELECT COUNT(*) AS n FROM case_history WHERE case_id = ?',
      [caseId],
    );
    expect(Number(historyAfter?.n)).toBe(Number(historyBefore?.n));
    expect(await suppressionsOf(clientId)).toEqual([]);
  });

  it('validates the suppressions with clear errors naming the field', async () => {
    const { caseId } = await newCase();
    const cases: Array<[unknown, string, RegExp, string?]> = [
      [[{ rule: 'high-amount', until: inDays(0) }], 'body.suppress.0.until', /after today/],
      [[{ rule: 'high-amount', until: inDays(400) }], 'body.suppress.0.until', /at most 365 days ahead/],
      [[{ rule: 'high-amount', until: '2027-02-30' }], 'body.suppress.0.until', /YYYY-MM-DD/],
      [
        [{ rule: 'no-such-rule', until: inDays(5) }],
        'body.suppress.0.rule',
        /expects a rule id: high-amount/,
      ],
      [
        [{ rule: 'fan-in', until: inDays(5), counterparty: 'not an iban' }],
        'body.suppress.0.counterparty',
        /IBAN/,
      ],
      [
        [{ rule: 'fan-in', until: inDays(5), counterparty: 'DE89370400440532013000', country: 'DE' }],
        'body.suppress.0.country',
        /a counterparty or a country, not both/,
      ],
      [[{ rule: 'fan-in', until: inDays(5), country: 'de' }], 'body.suppress.0.country', /two-letter/],
      [
        [{ rule: 'fan-in', until: inDays(5), client_id: 1 }],
        'body.suppress.0',
        /unknown field\(s\) "client_id"/,
      ],
      [[], 'body.suppress', /1 to 10/],
      [
        [
          { rule: 'fan-in', until: inDays(5) },
          { rule: 'fan-in', until: inDays(9) },
        ],
        'body.suppress.1',
        /repeats suppression 0/,
      ],
    ];
    for (const [suppress, field, message] of cases) {
      const reply = await closeCase(caseId, suppress);
      expect(reply.status, JSON.stringify(suppress)).toBe(400);
      expect(reply.body.error.problems, JSON.stringify(suppress)).toContainEqual({
        field,
        message: expect.stringMatching(message),
      });
    }
    const confirmed = await call('case-update', {
      id: String(caseId),
      body: {
        status: 'closed',
        disposition: 'confirmed',
        note: 'x',
        suppress: [{ rule: 'fan-in', until: inDays(5) }],
      },
      headers: { 'if-match': `"${await versionOf(caseId)}"` },
    });
    expect(confirmed.status).toBe(400);
    expect(confirmed.body.error.problems).toContainEqual({
      field: 'body.suppress',
      message: 'is only allowed when closing as false_positive',
    });
  });
});

describe('closing an alert as a false positive with a suppression', () => {
  it('suppresses the alert’s rule for its client, audited, and refuses an analyst’s flag (no rule) without closing it', async () => {
    const { clientId, accountId } = await makeClient();
    const { alertId } = await makeAlert(accountId, { risk: 'Medium', rule: 'structuring' });
    const move = (body: unknown) => call('update', { id: String(alertId), body });
    expect((await move({ status: 'investigating' })).status).toBe(200);
    const closed = await move({
      status: 'closed',
      disposition: 'false_positive',
      note: 'Cash business, deposits every day',
      suppress: { until: inDays(90), country: 'DE' },
    });
    expect(closed.status, closed.text).toBe(200);
    const [s] = await query<{ id: number; rule_id: string; country: string; alert_id: number }>(
      'SELECT id, rule_id, country, alert_id FROM suppressions WHERE client_id = ?',
      [clientId],
    );
    expect(s).toMatchObject({ rule_id: 'structuring', country: 'DE', alert_id: alertId });
    const history = await query(
      'SELECT changed_by, action FROM suppression_history WHERE suppression_id = ?',
      [s?.id],
    );
    expect(history).toEqual([{ changed_by: 'local-analyst', action: 'created' }]);

    const flag = await call('create', {
      body: {
        transaction_id: (await makeAlert(accountId, { risk: 'Low' })).txId,
        reason: 'odd',
        risk_level: 'Low',
      },
    });
    expect(flag.status).toBe(201);
    await call('update', { id: String(flag.body.id), body: { status: 'investigating' } });
    const refused = await call('update', {
      id: String(flag.body.id),
      body: { status: 'closed', disposition: 'false_positive', note: 'x', suppress: { until: inDays(5) } },
    });
    expect(refused.status).toBe(422);
    const [still] = await query<{ status: string }>('SELECT status FROM alerts WHERE id = ?', [flag.body.id]);
    expect(still?.status).toBe('investigating');
  });
});

describe('GET /suppressions and DELETE /suppressions/{id}: the role matrix', () => {
  it('lets every key read, an analyst revoke only their own, a lead revoke any; revoking twice changes nothing', async () => {
    const mine = await newCase();
    expect((await closeCase(mine.caseId, [{ rule: 'fan-in', until: inDays(20) }])).status).toBe(200);
    const leads = await newCase();
    expect((await closeCase(leads.caseId, [{ rule: 'fan-in', until: inDays(20) }], LEAD_KEY)).status).toBe(
      200,
    );
    const [analystOwn] = await suppressionsOf(mine.clientId);
    const [leadOwn] = await suppressionsOf(leads.clientId);
    const revoke = (id: number | undefined, key: string | null) =>
      call('suppression-revoke', { id: String(id), key });

    for (const key of [VIEWER_KEY, ANALYST_KEY, LEAD_KEY]) {
      expect((await call('suppression-list', { key })).status).toBe(200);
    }
    expect((await call('suppression-list', { key: null })).status).toBe(401);
    expect((await revoke(analystOwn?.id, null)).status).toBe(401);
    expect((await revoke(analystOwn?.id, VIEWER_KEY)).status).toBe(403);
    const notTheirs = await revoke(leadOwn?.id, ANALYST_KEY);
    expect(notTheirs.status).toBe(403);
    expect(notTheirs.body.error.message).toMatch(/created by local-lead: only they or a lead may revoke it/);

    const own = await revoke(analystOwn?.id, ANALYST_KEY);
    expect(own.status, own.text).toBe(200);
    expect(suppressionSchema.parse(own.body)).toBeTruthy();
    expect(own.body).toMatchObject({ state: 'revoked', revoked_by: 'local-analyst' });
    const again = await revoke(analystOwn?.id, LEAD_KEY);
    expect(again.status).toBe(200);
    expect(again.body.revoked_by).toBe('local-analyst');
    expect(again.body.history.map((h: { action: string }) => h.action)).toEqual(['created', 'revoked']);
    const byLead = await revoke(leadOwn?.id, LEAD_KEY);
    expect(byLead.body).toMatchObject({ state: 'revoked', revoked_by: 'local-lead' });

    const revoked = await call('suppression-list', { query: { state: 'revoked' }, key: VIEWER_KEY });
    const ids = revoked.body.data.map((s: { id: number }) => s.id);
    expect(ids).toEqual(expect.arrayContaining([analystOwn?.id, leadOwn?.id]));
    const active = await call('suppression-list', { query: { state: 'active' }, key: VIEWER_KEY });
    expect(active.body.data.map((s: { id: number }) => s.id)).not.toContain(analystOwn?.id);
    expect((await revoke(999_999, LEAD_KEY)).status).toBe(404);
    expect((await revoke(undefined, LEAD_KEY)).body.error.problems[0].field).toBe('path.id');
  });

  it('pages newest first with a cursor that never skips or repeats, and refuses it with other filters', async () => {
    const { caseId } = await newCase();
    expect((await closeCase(caseId, [{ rule: 'fan-in', until: inDays(3) }])).status).toBe(200);
    const [{ n }] = (await query<{ n: number }>('SELECT COUNT(*) AS n FROM suppressions')) as [{ n: number }];
    const seen: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await call('suppression-list', {
        query: { limit: '2', ...(cursor ? { cursor } : {}) },
        key: VIEWER_KEY,
      });
      expect(page.status).toBe(200);
      seen.push(...page.body.data.map((s: { id: number }) => s.id));
      cursor = page.body.next_cursor ?? undefined;
      if (cursor) {
        const other = await call('suppression-list', { query: { cursor, rule: 'fan-in' }, key: VIEWER_KEY });
        expect(other.status).toBe(400);
      }
    } while (cursor);
    expect(seen).toHaveLength(Number(n));
    expect([...seen].sort((a, b) => b - a)).toEqual(seen);
    expect(new Set(seen).size).toBe(seen.length);
  });
});
