import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { acquireNamedLock, releaseNamedLock, SCAN_LOCK } from '../../lib/db/locks.js';
import { query } from '../../lib/db/pool.js';
import { resolveDbSettings } from '../../lib/db/settings.js';
import { readAmlsim } from '../../lib/import/amlsim.js';
import { loadImport } from '../../lib/import/load.js';
import { clientRow, ibanOf, importRows } from '../../lib/import/rows.js';
import { createTestDatabase } from '../helpers/database.js';

const FIXTURES = 'tests/fixtures/import';
const START = new Date('2025-01-01T00:00:00Z');

async function counts(): Promise<Record<string, number>> {
  const [row] = await query<Record<string, number>>(
    `SELECT (SELECT COUNT(*) FROM clients) AS clients, (SELECT COUNT(*) FROM accounts) AS accounts,
            (SELECT COUNT(*) FROM transactions) AS transactions, (SELECT COUNT(*) FROM anomaly_labels) AS labels`,
  );
  return Object.fromEntries(Object.entries(row ?? {}).map(([k, v]) => [k, Number(v)]));
}

describe('import', () => {
  it('names each bad AMLSim line with its file, line and reason', async () => {
    const data = await readAmlsim(`${FIXTURES}/amlsim-bad`);
    expect(data.bad).toEqual([
      { file: 'transactions.csv', line: 3, reason: 'targetNodeId 9 is not in nodes.csv' },
      { file: 'transactions.csv', line: 4, reason: 'a transfer from account 1 to itself' },
      { file: 'transactions.csv', line: 5, reason: 'value "abc" is not a positive amount' },
    ]);
    expect(data.transfers).toHaveLength(2);
  });

  it('leaves the database as it was when the load fails half-way', async () => {
    const data = await readAmlsim(`${FIXTURES}/amlsim`);
    const before = await counts();
    const failing = loadImport(await resolveDbSettings(), {
      makeRows: (types) => {
        const rows = importRows(data, START, types);
        const good = [...rows.transactions];
        function* halfThenFail() {
          yield* good.slice(0, 3);
          throw new Error('the file broke off');
        }
        return {
          clients: [...data.accounts.values()].map((a) => clientRow(a, START)),
          rows: { ...rows, transactions: { [Symbol.iterator]: halfThenFail } },
        };
      },
    });
    await expect(failing).rejects.toThrow();
    expect(await counts()).toEqual(before);
  });

  it('loads an AMLSim folder: a debit and a credit per transfer, every fraud-account row labelled', async () => {
    const data = await readAmlsim(`${FIXTURES}/amlsim`);
    const loaded = await loadImport(await resolveDbSettings(), {
      makeRows: (types) => ({
        clients: [...data.accounts.values()].map((a) => clientRow(a, START)),
        rows: importRows(data, START, types),
      }),
    });
    expect(loaded).toEqual({ clients: 5, accounts: 5, transactions: 12, anomaly_labels: 5 });
    const pair = await query<{ account_id: number; amount: string; type: string; recipient_account: string }>(
      `SELECT t.account_id, t.amount, tt.type, t.recipient_account FROM transactions t
         JOIN transaction_types tt ON tt.id = t.transaction_type_id WHERE t.id IN (1, 2) ORDER BY t.id`,
    );
    expect(pair).toEqual([
      { account_id: 1, amount: '-10.00', type: 'outgoing transfer', recipient_account: ibanOf(1) },
      { account_id: 2, amount: '10.00', type: 'incoming transfer', recipient_account: ibanOf(0) },
    ]);
    const episodes = await query<{ episode_id: number; kind: string; n: number }>(
      'SELECT episode_id, kind, COUNT(*) AS n FROM anomaly_labels GROUP BY episode_id, kind ORDER BY episode_id',
    );
    expect(episodes.map((e) => [e.episode_id, e.kind, Number(e.n)])).toEqual([
      [2, 'amlsim-fan-in', 3],
      [4, 'amlsim-fan-in', 2],
    ]);
    const [dated] = await query<{ unordered: number }>(
      'SELECT COUNT(*) AS unordered FROM transactions a JOIN transactions b ON b.id = a.id + 1 WHERE b.date < a.date',
    );
    expect(Number(dated?.unordered)).toBe(0);
  });

  it('steps aside while a scan holds the scan lock, naming it', async () => {
    const settings = await resolveDbSettings();
    const scan = await mysql.createConnection(settings);
    const lock = await acquireNamedLock(scan, settings.database, SCAN_LOCK);
    const data = await readAmlsim(`${FIXTURES}/amlsim`);
    try {
      await expect(
        loadImport(settings, {
          makeRows: (types) => ({ clients: [], rows: importRows(data, START, types) }),
        }),
      ).rejects.toThrow(/an anomaly scan is running .* holds the scan lock/);
    } finally {
      if (lock) await releaseNamedLock(scan, lock);
      await scan.end();
    }
  });

  it('refuses a database that already holds a bank, changing nothing', async () => {
    const data = await readAmlsim(`${FIXTURES}/amlsim`);
    const before = await counts();
    await expect(
      loadImport(await resolveDbSettings(), {
        makeRows: (types) => ({ clients: [], rows: importRows(data, START, types) }),
      }),
    ).rejects.toThrow(/already holds a bank/);
    expect(await counts()).toEqual(before);
  });

  describe('a CSV through a mapping, from the command line', async () => {
    const target = await createTestDatabase(inject('mysqlUrl'), { label: 'import_csv' });
    afterAll(() => target.drop());
    const run = async (...extra: string[]) => {
      const args = ['scripts/import.ts', '--format', 'csv', `${FIXTURES}/csv/transactions.csv`];
      const options = { env: { ...process.env, MYSQL_URL: target.url }, timeout: 60_000 };
      try {
        const { stdout, stderr } = await promisify(execFile)(
          'node_modules/.bin/tsx',
          [...args, ...extra],
          options,
        );
        return { code: 0, stdout, stderr };
      } catch (error) {
        return error as { code: number; stdout: string; stderr: string };
      }
    };
    const rowsIn = async () => {
      const conn = await mysql.createConnection(target.settings);
      const [[row]] = (await conn.query('SELECT COUNT(*) AS n FROM transactions')) as unknown as [
        [{ n: number }],
      ];
      await conn.end();
      return Number(row.n);
    };

    it('names the bad lines and imports nothing past the threshold', async () => {
      const out = await run('--mapping', `${FIXTURES}/csv/mapping.json`);
      expect(out.code).toBe(1);
      expect(out.stderr).toContain('transactions.csv:5: amount "50,00" is not an amount');
      expect(out.stderr).toContain('transactions.csv:6: direction "X" is neither "D" nor "C"');
      expect(await rowsIn()).toBe(0);
    });

    it('loads the good lines within --max-bad-rows, one account per account and currency, labels by case', async () => {
      const out = await run('--mapping', `${FIXTURES}/csv/mapping.json`, '--max-bad-rows', '2');
      expect(out.stdout).toContain('clients 2, accounts 3, transactions 4, anomaly_labels 2');
      const conn = await mysql.createConnection({ ...target.settings, dateStrings: true });
      const [rows] = await conn.query(
        `SELECT t.id, a.account_number, t.currency, t.amount, t.date, l.kind, l.episode_id FROM transactions t
           JOIN accounts a ON a.id = t.account_id LEFT JOIN anomaly_labels l ON l.transaction_id = t.id ORDER BY t.id`,
      );
      await conn.end();
      expect(rows).toEqual([
        expect.objectContaining({
          id: 1,
          amount: '50.00',
          date: '2025-03-01 09:00:00',
          kind: 'csv-mule',
          episode_id: 1,
        }),
        expect.objectContaining({ id: 2, amount: '100.00', kind: null }),
        expect.objectContaining({ id: 3, currency: 'USD', amount: '-20.00' }),
        expect.objectContaining({
          id: 4,
          account_number: expect.stringMatching(/^GB/),
          amount: '-5.00',
          kind: 'csv-mule',
        }),
      ]);
    });
  });
});
