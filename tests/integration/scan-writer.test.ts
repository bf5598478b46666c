import type { Connection } from 'mysql2/promise';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { execute, query, withTransaction } from '../../lib/db/pool.js';
import { resolveDbSettings } from '../../lib/db/settings.js';
import { STATE_VERSION } from '../../lib/rules/engine.js';
import type { ScoredTransaction } from '../../lib/rules/risk.js';
import type { Txn } from '../../lib/rules/types.js';
import { writeAlerts } from '../../lib/scan/alerts.js';
import { startRun } from '../../lib/scan/runs.js';
import { ChunkStates, StateBatch, saveStates, writeStateBatch } from '../../lib/scan/state.js';
import { insertBackground } from './scan-fixtures.js';

let conn: Connection;
let ids: number[];

/** Evidence with everything a TSV line must escape: tab, newline, backslash, quotes, non-ASCII. */
const TRICKY = { title: 'rent\tfor\nMay \\ "flat" — mieszkanie żółć', thresholds: { p95: 1234.5 } };

function scored(
  transactionId: number,
  level: 'Low' | 'Medium' | 'High',
  evidence = TRICKY,
): ScoredTransaction {
  return {
    txn: { id: transactionId } as Txn,
    risk: { score: level === 'High' ? 80 : 45, level, rules: ['high-amount', 'unusual-location'] },
    findings: [
      { transactionId, time: 0, ruleId: 'high-amount', score: 25, evidence, related: [] },
      {
        transactionId,
        time: 0,
        ruleId: 'unusual-location',
        score: 45,
        evidence: { country: 'DE' },
        related: [1, 2],
      },
    ],
  } as ScoredTransaction;
}

beforeAll(async () => {
  const settings = await resolveDbSettings();
  const mysql = await import('mysql2/promise');
  conn = await mysql.createConnection({ ...settings, dateStrings: true });
  await insertBackground(conn, { clients: 3, months: 1 });
  ids = (await query<{ id: number }>('SELECT id FROM transactions ORDER BY id LIMIT 6')).map((r) =>
    Number(r.id),
  );
});

afterAll(async () => {
  await conn.end();
});

beforeEach(async () => {
  await execute('DELETE FROM alerts');
});

describe('scan-anomalies alert writer', () => {
  for (const loadData of [true, false]) {
    const method = loadData ? 'LOAD DATA LOCAL' : 'the INSERT fallback';
    it(`writes alerts with their evidence intact through ${method}, and counts what it created`, async () => {
      const runId = await startRun('full', {}, 1);
      const { counts, fk } = await withTransaction(async (tx) => {
        const counts = await writeAlerts(
          tx,
          [scored(ids[0] as number, 'High'), scored(ids[1] as number, 'Low')],
          runId,
          { loadData },
        );
        const [rows] = await tx.query('SELECT @@foreign_key_checks AS fk');
        return { counts, fk: Number((rows as { fk: number }[])[0]?.fk) };
      });
      // The load switches foreign key checks off for itself only: the pooled connection gets them back.
      expect(fk).toBe(1);
      expect(counts).toEqual({
        created: 4,
        byRisk: { Low: 2, Medium: 0, High: 2 },
        byReason: { 'high amount': 2, 'unusual location': 2 },
        suppressed: 0,
      });
      const rows = await query<{ rule_id: string; risk_level: string; score: string; evidence: unknown }>(
        'SELECT rule_id, risk_level, score, evidence FROM alerts WHERE transaction_id = ? ORDER BY rule_id',
        [ids[0]],
      );
      expect(rows.map((r) => [r.rule_id, r.risk_level, Number(r.score)])).toEqual([
        ['high-amount', 'High', 25],
        ['unusual-location', 'High', 45],
      ]);
      const stored = rows[0]?.evidence;
      const evidence = typeof stored === 'string' ? JSON.parse(stored) : stored;
      expect(evidence).toMatchObject({ rule: 'high-amount', ...TRICKY, relatedTransactionIds: [] });
      expect(evidence.risk).toMatchObject({ level: 'High', rules: ['high-amount', 'unusual-location'] });
    });

    it(`never overwrites an existing alert and counts only new ones through ${method}`, async () => {
      const first = await startRun('full', {}, 1);
      await withTransaction((tx) => writeAlerts(tx, [scored(ids[2] as number, 'Low')], first, { loadData }));
      await execute(
        "UPDATE alerts SET status = 'closed', disposition = 'false_positive' WHERE transaction_id = ?",
        [ids[2]],
      );
      const second = await startRun('full', {}, 1);
      const counts = await withTransaction((tx) =>
        writeAlerts(tx, [scored(ids[2] as number, 'High'), scored(ids[3] as number, 'Medium')], second, {
          loadData,
        }),
      );
      expect(counts.created).toBe(2);
      expect(counts.byRisk).toEqual({ Low: 0, Medium: 2, High: 0 });
      const kept = await query<{ risk_level: string; status: string; scan_run_id: number }>(
        'SELECT risk_level, status, scan_run_id FROM alerts WHERE transaction_id = ?',
        [ids[2]],
      );
      expect(kept.map((r) => [r.risk_level, r.status, Number(r.scan_run_id)])).toEqual([
        ['Low', 'closed', first],
        ['Low', 'closed', first],
      ]);
    });
  }
});

describe('scan-anomalies state writer', () => {
  /** States of every length and byte value a saved state may hold (NUL, tab, newline, backslash, 0xFF). */
  const states = (asOf: number) =>
    Array.from({ length: 40 }, (_, i) => {
      const bytes = Buffer.alloc(8 * (1 + (i % 7)));
      for (let j = 0; j < bytes.length; j++) bytes[j] = [0, 9, 10, 13, 92, 255, i, j][(i + j) % 8] as number;
      return [900_000 + i, bytes, asOf] as const;
    });
  const stored = async () =>
    (
      await query<{ client_id: number; state: Buffer; as_of_transaction_id: number }>(
        'SELECT client_id, state, as_of_transaction_id FROM scan_client_state WHERE client_id >= 900000 ORDER BY client_id',
      )
    ).map((r) => [Number(r.client_id), Buffer.from(r.state).toString('hex'), Number(r.as_of_transaction_id)]);
  const expected = (rows: ReturnType<typeof states>) =>
    rows.map(([id, b, asOf]) => [id, b.toString('hex'), asOf]);

  for (const loadData of [true, false]) {
    it(`writes a batch of states byte for byte and replaces older ones (${loadData ? 'LOAD DATA' : 'INSERT'})`, async () => {
      await execute('DELETE FROM scan_client_state WHERE client_id >= 900000');
      const batch = new StateBatch(64);
      for (const [id, bytes, asOf] of states(7)) batch.add(id, bytes.toString('base64'), asOf);
      await withTransaction((tx) => writeStateBatch(tx, batch, { loadData }));
      expect(await stored()).toEqual(expected(states(7)));
      // A second batch (reused) replaces every state.
      batch.reset();
      const newer = states(8).map(([id, bytes, asOf]) => [id, Buffer.from(bytes.reverse()), asOf] as const);
      for (const [id, bytes, asOf] of newer) batch.add(id, bytes.toString('base64'), asOf);
      await withTransaction((tx) => writeStateBatch(tx, batch, { loadData }));
      expect(await stored()).toEqual(expected(newer));
    });
  }

  it('writes states with prepared upserts, byte for byte', async () => {
    await execute('DELETE FROM scan_client_state WHERE client_id >= 900000');
    const rows = states(9);
    await withTransaction((tx) =>
      saveStates(
        tx,
        rows.map(([id, bytes]) => [id, bytes] as const),
        9,
      ),
    );
    expect(await stored()).toEqual(expected(rows));
    await execute('DELETE FROM scan_client_state WHERE client_id >= 900000');
  });

  it("reads a chunk's saved states as they arrive, tells an outdated one apart, and yields them again on a second pass", async () => {
    const clientIds = (
      await query<{ client_id: number }>(
        'SELECT DISTINCT a.client_id FROM transactions t JOIN accounts a ON a.id = t.account_id ORDER BY a.client_id',
      )
    ).map((r) => Number(r.client_id));
    expect(clientIds.length).toBeGreaterThanOrEqual(3);
    const [current, outdated, stateless] = clientIds as [number, number, number];
    const head = (version: number, latest: number) =>
      Buffer.from(new Float64Array([version, latest, 0]).buffer);
    await execute('DELETE FROM scan_client_state');
    await withTransaction((tx) =>
      saveStates(
        tx,
        [
          [current, head(STATE_VERSION, 1_700_000_000_000)],
          [outdated, Buffer.from('{"v":1}')],
          // A state of a client with no transaction in the range is not read.
          [999_999, head(STATE_VERSION, 1)],
        ],
        42,
      ),
    );
    const [{ maxId }] = (await query<{ maxId: number }>('SELECT MAX(id) AS maxId FROM transactions')) as [
      { maxId: number },
    ];
    const chunk = new ChunkStates(0, Number(maxId));
    const firstPass: number[] = [];
    for await (const id of chunk.clients()) firstPass.push(id);
    expect(firstPass.sort((a, b) => a - b)).toEqual([current, outdated].sort((a, b) => a - b));
    expect(chunk.states.get(current)).toMatchObject({ asOf: 42, latest: 1_700_000_000_000 });
    expect(chunk.states.get(current)?.saved.equals(head(STATE_VERSION, 1_700_000_000_000))).toBe(true);
    expect([...chunk.outdated]).toEqual([outdated]);
    expect(chunk.states.has(stateless)).toBe(false);
    // A chunk's transaction retried after a deadlock judges the same clients again.
    const secondPass: number[] = [];
    for await (const id of chunk.clients()) secondPass.push(id);
    expect(secondPass.sort((a, b) => a - b)).toEqual(firstPass);
    await expect(chunk.loaded).resolves.toBeUndefined();
    // An empty range reads nothing.
    const none: number[] = [];
    for await (const id of new ChunkStates(5, 5).clients()) none.push(id);
    expect(none).toEqual([]);
    await execute('DELETE FROM scan_client_state');
  });
});
