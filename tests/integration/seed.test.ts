import type { Context } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { handler } from '../../functions/seed-data.js';
import { query } from '../../lib/db/pool.js';
import { ANOMALY_KINDS, DECOY_KINDS } from '../../lib/domain/bank.js';
import { ValidationError } from '../../lib/errors.js';
import { isValidIban } from '../../lib/seed/iban.js';
import { decodePesel } from '../../lib/seed/national-id.js';
import { parseSeedOptions } from '../../lib/seed/options.js';
import { runSeed, type SeedSummary } from '../../lib/seed/run.js';

const OPTIONS = {
  clients: 80,
  transactions: 6_000,
  from: '2025-01-01',
  to: '2026-01-01',
  seed: 11,
  anomalyRate: 0.03,
};
const count = async (sql: string) => Number((await query<{ n: number }>(sql))[0]?.n);

describe('seed (integration, real database)', () => {
  let summary: SeedSummary;

  beforeAll(async () => {
    summary = await runSeed(parseSeedOptions(OPTIONS));
  });

  it('writes the requested bank with LOAD DATA and reports rows per table', async () => {
    expect(summary).toMatchObject({ status: 'seeded', mode: 'fresh', method: 'load-data' });
    expect(summary.rows.clients).toBe(80);
    expect(await count('SELECT COUNT(*) AS n FROM clients')).toBe(80);
    expect(await count('SELECT COUNT(*) AS n FROM locations')).toBe(80);
    expect(await count('SELECT COUNT(*) AS n FROM transactions')).toBe(6_000);
    expect(await count('SELECT COUNT(*) AS n FROM accounts')).toBe(summary.rows.accounts);
    expect(await count('SELECT COUNT(*) AS n FROM transaction_types')).toBe(9);
    expect(await count('SELECT COUNT(*) AS n FROM seed_runs')).toBe(1);
  });

  it('keeps the balance invariant for every account', async () => {
    const broken = await count(`
      SELECT COUNT(*) AS n FROM (
        SELECT balance_after, SUM(amount) OVER (PARTITION BY account_id ORDER BY date, id) AS running
          FROM transactions WHERE status = 'completed') t
       WHERE t.balance_after <> t.running`);
    expect(broken).toBe(0);
    const wrongBalance = await count(`
      SELECT COUNT(*) AS n FROM accounts a
        LEFT JOIN (SELECT account_id, balance_after,
                          ROW_NUMBER() OVER (PARTITION BY account_id ORDER BY date DESC, id DESC) AS rn
                     FROM transactions WHERE status = 'completed') t ON t.account_id = a.id AND t.rn = 1
       WHERE a.balance <> COALESCE(t.balance_after, 0)`);
    expect(wrongBalance).toBe(0);
    expect(
      await count(
        "SELECT COUNT(*) AS n FROM transactions WHERE status <> 'completed' AND balance_after IS NOT NULL",
      ),
    ).toBe(0);
  });

  it('gives every account a valid, unique IBAN of its client country', async () => {
    const rows = await query<{ iban: string; country: string }>(
      'SELECT a.account_number AS iban, c.country FROM accounts a JOIN clients c ON c.id = a.client_id',
    );
    for (const r of rows) {
      expect(isValidIban(r.iban), r.iban).toBe(true);
      expect(r.iban.slice(0, 2)).toBe(r.country);
    }
    const recipients = await query<{ iban: string }>(
      'SELECT DISTINCT recipient_account AS iban FROM transactions WHERE recipient_account IS NOT NULL',
    );
    for (const r of recipients) expect(isValidIban(r.iban), r.iban).toBe(true);
  });

  it('gives every Polish client a PESEL matching birth date and gender', async () => {
    const poles = await query<{ identifier: string; birth_date: string; gender: 'M' | 'F' }>(
      "SELECT identifier, birth_date, gender FROM clients WHERE country = 'PL'",
    );
    expect(poles.length).toBeGreaterThan(0);
    for (const p of poles) {
      const decoded = decodePesel(p.identifier);
      expect(decoded, p.identifier).not.toBeNull();
      const { year, month, day } = decoded?.birth ?? { year: 0, month: 0, day: 0 };
      expect(`${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`).toBe(p.birth_date);
      expect(decoded?.gender).toBe(p.gender);
    }
  });

  it('leaves no dangling reference', async () => {
    expect(
      await count(
        'SELECT COUNT(*) AS n FROM locations l LEFT JOIN clients c ON c.id = l.client_id WHERE c.id IS NULL',
      ),
    ).toBe(0);
    expect(
      await count(
        'SELECT COUNT(*) AS n FROM accounts a LEFT JOIN clients c ON c.id = a.client_id WHERE c.id IS NULL',
      ),
    ).toBe(0);
    expect(
      await count(
        'SELECT COUNT(*) AS n FROM transactions t LEFT JOIN accounts a ON a.id = t.account_id WHERE a.id IS NULL',
      ),
    ).toBe(0);
    expect(
      await count(
        'SELECT COUNT(*) AS n FROM transactions t LEFT JOIN transaction_types y ON y.id = t.transaction_type_id WHERE y.id IS NULL',
      ),
    ).toBe(0);
    expect(
      await count(
        'SELECT COUNT(*) AS n FROM anomaly_labels l LEFT JOIN transactions t ON t.id = l.transaction_id WHERE t.id IS NULL',
      ),
    ).toBe(0);
    expect(
      await count(
        'SELECT COUNT(*) AS n FROM transactions t JOIN accounts a ON a.id = t.account_id WHERE DATE(t.date) < a.opening_date',
      ),
    ).toBe(0);
  });

  it('labels every anomaly and decoy kind, every transaction of an episode on every client involved', async () => {
    const kinds = await query<{ kind: string; suspicious: number; episodes: number; n: number }>(
      'SELECT kind, MIN(suspicious) AS suspicious, COUNT(DISTINCT episode_id) AS episodes, COUNT(*) AS n FROM anomaly_labels GROUP BY kind',
    );
    const byKind = new Map(kinds.map((k) => [k.kind, k]));
    for (const kind of ANOMALY_KINDS) expect(byKind.get(kind)?.suspicious, kind).toBe(1);
    for (const kind of DECOY_KINDS) expect(byKind.get(kind)?.suspicious, kind).toBe(0);
    const bursts = await query<{ n: number; minutes: number }>(
      `SELECT COUNT(*) AS n, TIMESTAMPDIFF(MINUTE, MIN(t.date), MAX(t.date)) AS minutes
         FROM anomaly_labels l JOIN transactions t ON t.id = l.transaction_id WHERE l.kind = 'burst' GROUP BY l.episode_id`,
    );
    for (const b of bursts) {
      expect(Number(b.n)).toBeGreaterThanOrEqual(8);
      expect(Number(b.minutes)).toBeLessThanOrEqual(15);
    }
    expect(summary.labels.find((l) => l.kind === 'burst')?.rows).toBe(
      bursts.reduce((s, b) => s + Number(b.n), 0),
    );
    const networks = await query<{ kind: string; clients: number }>(
      `SELECT l.kind, COUNT(DISTINCT a.client_id) AS clients FROM anomaly_labels l
         JOIN transactions t ON t.id = l.transaction_id JOIN accounts a ON a.id = t.account_id
        WHERE l.kind IN ('fan-in', 'cycle', 'scatter-gather') GROUP BY l.kind, l.episode_id`,
    );
    expect(new Set(networks.map((n) => n.kind)).size).toBe(3);
    for (const n of networks) expect(Number(n.clients), n.kind).toBeGreaterThanOrEqual(2);
  });

  it('refuses to write into a non-empty database without --reset or --append', async () => {
    await expect(runSeed(parseSeedOptions(OPTIONS))).rejects.toThrow(
      /already holds a bank .* pass --reset .* or --append/,
    );
    expect(await count('SELECT COUNT(*) AS n FROM transactions')).toBe(6_000);
  });

  it('with --if-empty reports the database as already seeded and changes nothing', async () => {
    const result = await runSeed(parseSeedOptions({ ...OPTIONS, ifEmpty: true }));
    expect(result.status).toBe('already-seeded');
    expect(await count('SELECT COUNT(*) AS n FROM seed_runs')).toBe(1);
  });

  it('with --append adds a second bank after the first, ids continuing and invariants intact', async () => {
    const result = await runSeed(
      parseSeedOptions({ ...OPTIONS, clients: 10, transactions: 800, seed: 12, append: true }),
    );
    expect(result.mode).toBe('append');
    expect(await count('SELECT COUNT(*) AS n FROM clients')).toBe(90);
    expect(await count('SELECT COUNT(*) AS n FROM transactions')).toBe(6_800);
    expect(await count('SELECT COUNT(DISTINCT account_number) AS n FROM accounts')).toBe(
      await count('SELECT COUNT(*) AS n FROM accounts'),
    );
    expect(
      await count(`SELECT COUNT(*) AS n FROM (
        SELECT balance_after, SUM(amount) OVER (PARTITION BY account_id ORDER BY date, id) AS running
          FROM transactions WHERE status = 'completed') t WHERE t.balance_after <> t.running`),
    ).toBe(0);
  });

  it('with --reset replaces the bank, its alerts and scan state included', async () => {
    await query(
      "INSERT INTO alerts (transaction_id, reason, risk_level, flagged_by) VALUES (1, 'high amount', 'High', 'analyst')",
    );
    const result = await runSeed(parseSeedOptions({ ...OPTIONS, reset: true }));
    expect(result.mode).toBe('reset');
    expect(await count('SELECT COUNT(*) AS n FROM clients')).toBe(80);
    expect(await count('SELECT COUNT(*) AS n FROM alerts')).toBe(0);
    expect(await count('SELECT COUNT(*) AS n FROM scan_watermarks')).toBe(0);
    expect(await count('SELECT MIN(id) AS n FROM transactions')).toBe(1);
  });

  describe('seed-data Lambda', () => {
    const context = {
      awsRequestId: 'test-seed',
      getRemainingTimeInMillis: () => 900_000,
    } as unknown as Context;

    it('seeds with the event payload validated by the same schema', async () => {
      const result = (await handler(
        { ...OPTIONS, clients: 20, transactions: 1_000, reset: true },
        context,
      )) as SeedSummary;
      expect(result).toMatchObject({ status: 'seeded', mode: 'reset' });
      expect(await count('SELECT COUNT(*) AS n FROM clients')).toBe(20);
    });

    it('rejects a bad payload with every problem named', async () => {
      await expect(handler({ clients: -1, locales: ['xx_XX'] }, context)).rejects.toThrow(ValidationError);
      await expect(handler({ clients: -1, locales: ['xx_XX'] }, context)).rejects.toThrow(
        /clients .*unknown locale/s,
      );
    });
  });
});
