import type { RowDataPacket } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveDbSettings } from '../../lib/db/settings.js';
import { SeedConnection, type SeedLoad } from '../../lib/seed/load.js';
import type { Row } from '../../lib/seed/rows.js';

/** What a test's generators did, in the order they did it. */
interface Trace {
  /** `start load_a`, `end load_a`, … */
  events: string[];
  /** Rows each generator had yielded when its table's first rows were reported sent. */
  yieldedAtFirstSend: Record<string, number>;
  yielded: Record<string, number>;
}

function* numberedRows(table: string, count: number, trace: Trace, failAt?: number): Generator<Row> {
  trace.events.push(`start ${table}`);
  for (let id = 1; id <= count; id++) {
    if (id === failAt) throw new Error(`${table} failed at row ${id}`);
    trace.yielded[table] = id;
    yield [id, `${table} row ${id} of ${count}`];
  }
  trace.events.push(`end ${table}`);
}

const newTrace = (): Trace => ({ events: [], yieldedAtFirstSend: {}, yielded: {} });

describe('seed loads (LOAD DATA, one connection, one transaction)', () => {
  let seed: SeedConnection;

  beforeAll(async () => {
    seed = await SeedConnection.open(await resolveDbSettings());
    for (const table of ['load_a', 'load_b', 'load_c']) {
      await seed.conn.query(`CREATE TABLE ${table} (id INT PRIMARY KEY, label VARCHAR(60) NOT NULL)`);
    }
    // The server stalls for a second on load_a's first row: its rows are all sent meanwhile, so what follows
    // can only be generated ahead of its statement.
    await seed.conn.query(
      'CREATE TRIGGER load_a_slow BEFORE INSERT ON load_a FOR EACH ROW BEGIN IF NEW.id = 1 THEN DO SLEEP(1); END IF; END',
    );
  });

  afterAll(async () => {
    await seed.end();
  });

  /** Loads `loads` in a transaction rolled back afterwards; resolves with the rows sent, or rejects. */
  async function loadAndRollBack(
    loads: SeedLoad[],
    trace: Trace,
  ): Promise<{ sent: number[]; stored: number[] }> {
    await seed.conn.beginTransaction();
    try {
      const sent = await seed.loadAll('load-data', loads, (table) => {
        trace.yieldedAtFirstSend[table] ??= trace.yielded[table] ?? 0;
      });
      const stored: number[] = [];
      for (const { table } of loads) {
        const [rows] = await seed.conn.query<RowDataPacket[]>(
          `SELECT COUNT(*) AS n, SUM(id) AS ids, SUM(label = CONCAT('${table} row ', id, ' of ', (SELECT COUNT(*) FROM ${table}))) AS labels FROM ${table}`,
        );
        const row = rows[0] as RowDataPacket;
        expect(Number(row.labels), `${table} labels`).toBe(Number(row.n));
        expect(Number(row.ids), `${table} ids`).toBe((Number(row.n) * (Number(row.n) + 1)) / 2);
        stored.push(Number(row.n));
      }
      return { sent, stored };
    } finally {
      await seed.conn.rollback();
    }
  }

  it("loads every table's rows, generating the next tables while the server still stores the one before", async () => {
    const trace = newTrace();
    const { sent, stored } = await loadAndRollBack(
      [
        { table: 'load_a', columns: ['id', 'label'], rows: numberedRows('load_a', 30_000, trace) },
        { table: 'load_b', columns: ['id', 'label'], rows: numberedRows('load_b', 60_000, trace) },
        { table: 'load_c', columns: ['id', 'label'], rows: numberedRows('load_c', 5_000, trace) },
      ],
      trace,
    );
    expect(sent).toEqual([30_000, 60_000, 5_000]);
    expect(stored).toEqual(sent);
    // load_b's 60,000 rows are several chunks: all of them were made before its statement sent the first one.
    expect(trace.yieldedAtFirstSend.load_b).toBe(60_000);
    expect(trace.yieldedAtFirstSend.load_c).toBe(5_000);
  });

  it("starts each table's generator only once the one before it is spent", async () => {
    const trace = newTrace();
    await loadAndRollBack(
      [
        { table: 'load_a', columns: ['id', 'label'], rows: numberedRows('load_a', 20_000, trace) },
        { table: 'load_b', columns: ['id', 'label'], rows: numberedRows('load_b', 20_000, trace) },
        { table: 'load_c', columns: ['id', 'label'], rows: numberedRows('load_c', 20_000, trace) },
      ],
      trace,
    );
    expect(trace.events).toEqual([
      'start load_a',
      'end load_a',
      'start load_b',
      'end load_b',
      'start load_c',
      'end load_c',
    ]);
  });

  it('fails with the error of a generator that failed ahead of its statement, and generates nothing after it', async () => {
    const trace = newTrace();
    await expect(
      loadAndRollBack(
        [
          { table: 'load_a', columns: ['id', 'label'], rows: numberedRows('load_a', 30_000, trace) },
          { table: 'load_b', columns: ['id', 'label'], rows: numberedRows('load_b', 60_000, trace, 40_000) },
          { table: 'load_c', columns: ['id', 'label'], rows: numberedRows('load_c', 5_000, trace) },
        ],
        trace,
      ),
    ).rejects.toThrow('load_b failed at row 40000');
    expect(trace.events).toEqual(['start load_a', 'end load_a', 'start load_b']);
    const [rows] = await seed.conn.query<RowDataPacket[]>(
      'SELECT (SELECT COUNT(*) FROM load_a) + (SELECT COUNT(*) FROM load_b) + (SELECT COUNT(*) FROM load_c) AS n',
    );
    expect(Number(rows[0]?.n)).toBe(0);
  });
});
