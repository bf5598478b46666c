import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { BRIEF_TABLES, parseDdl } from '../../sql/migrations/0001_brief_tables.js';

const sql = await readFile(new URL('../../sql/migrations/0001_brief_tables.sql', import.meta.url), 'utf8');

describe('0001 brief tables DDL', () => {
  const ddl = parseDdl(sql);

  it('describes all six brief tables', () => {
    expect([...ddl.keys()].sort()).toEqual([...BRIEF_TABLES].sort());
  });

  it('lifts every foreign key out of the copy-and-swap version of each table', () => {
    const keys = [...ddl.values()].flatMap((t) =>
      t.foreignKeys.map((fk) => `${fk.table}.${fk.column}->${fk.parent}`),
    );
    expect(keys.sort()).toEqual(
      [
        'accounts.client_id->clients',
        'alerts.transaction_id->transactions',
        'locations.client_id->clients',
        'transactions.account_id->accounts',
        'transactions.transaction_type_id->transaction_types',
      ].sort(),
    );
    for (const table of ddl.values()) {
      expect(table.withoutForeignKeys).not.toMatch(/FOREIGN KEY/);
      expect(table.withoutForeignKeys).toMatch(/^CREATE TABLE `\{name\}`/);
      expect(table.withoutForeignKeys).not.toMatch(/,\s*\)\s*ENGINE/);
    }
  });

  it('keeps the ON DELETE clause of a foreign key', () => {
    expect(ddl.get('locations')?.foreignKeys[0]?.clause).toMatch(/ON DELETE CASCADE$/);
  });

  it('uses utf8mb4, InnoDB, DECIMAL(15,2) money and a DATETIME transaction time', () => {
    for (const table of ddl.values()) expect(table.full).toMatch(/ENGINE=InnoDB DEFAULT CHARSET=utf8mb4/);
    const transactions = ddl.get('transactions')?.full ?? '';
    expect(transactions).toMatch(/amount\s+DECIMAL\(15,2\)/);
    expect(transactions).toMatch(/balance_after\s+DECIMAL\(15,2\)/);
    expect(transactions).toMatch(/date\s+DATETIME\s+NOT NULL/);
    expect(transactions).not.toMatch(/ON UPDATE/);
  });
});
