/**
 * Small, hand-made banks for the scan's integration tests: plain INSERTs, every anomaly placed on purpose.
 * Not a test file itself (no .test.ts): the scan tests import it.
 */
import type { Connection } from 'mysql2/promise';
import { TRANSACTION_TYPES } from '../../lib/domain/bank.js';

export const TYPE_ID = Object.fromEntries(TRANSACTION_TYPES.map((t, i) => [t.type, i + 1])) as Record<
  string,
  number
>;

export interface FixtureTxn {
  accountId: number;
  type: string;
  date: string;
  amount: number;
  balanceAfter?: number | null;
  recipient?: string | null;
  status?: 'completed' | 'pending' | 'cancelled';
  title?: string;
}

const pad = (n: number) => String(n).padStart(2, '0');
export const at = (day: Date, minutes = 0) =>
  new Date(day.getTime() + minutes * 60_000).toISOString().slice(0, 19).replace('T', ' ');

/** Transaction types (ids = index + 1, as the seeder writes them). */
export async function insertTypes(conn: Connection): Promise<void> {
  await conn.query('INSERT IGNORE INTO transaction_types (id, type, description) VALUES ?', [
    TRANSACTION_TYPES.map((t, i) => [i + 1, t.type, t.description]),
  ]);
}

/** One client with one account per currency given; returns the account ids. */
export async function insertClient(
  conn: Connection,
  {
    id,
    country,
    currencies,
    opened = '2023-01-01',
  }: { id: number; country: string; currencies: string[]; opened?: string },
): Promise<number[]> {
  await conn.query(
    `INSERT INTO clients (id, first_name, last_name, identifier, birth_date, gender, registration_date, country, locale)
     VALUES (?, 'Test', ?, ?, '1985-05-05', 'F', '2023-01-01', ?, 'xx_XX')`,
    [id, `Client${id}`, `ID${id}`, country],
  );
  const ids: number[] = [];
  for (const [i, currency] of currencies.entries()) {
    const accountId = id * 10 + i;
    await conn.query(
      `INSERT INTO accounts (id, client_id, account_number, account_type, opening_date, balance, currency)
       VALUES (?, ?, ?, 'personal', ?, 0, ?)`,
      [accountId, id, `${country}00TEST${pad(id)}${i}`, opened, currency],
    );
    ids.push(accountId);
  }
  return ids;
}

export async function insertTxns(conn: Connection, txns: readonly FixtureTxn[]): Promise<void> {
  for (let i = 0; i < txns.length; i += 1000) {
    const rows = txns.slice(i, i + 1000);
    const [currencies] = (await conn.query('SELECT id, currency FROM accounts')) as unknown as [
      Array<{ id: number; currency: string }>,
    ];
    const currencyOf = new Map(currencies.map((r) => [Number(r.id), r.currency]));
    await conn.query(
      `INSERT INTO transactions (account_id, transaction_type_id, date, amount, currency, balance_after,
         recipient_account, status, title) VALUES ?`,
      [
        rows.map((t) => [
          t.accountId,
          TYPE_ID[t.type],
          t.date,
          t.amount,
          currencyOf.get(t.accountId),
          t.balanceAfter === undefined ? null : t.balanceAfter,
          t.recipient ?? null,
          t.status ?? 'completed',
          t.title ?? null,
        ]),
      ],
    );
  }
}

export interface FixtureBank {
  /** Transaction ids by episode name, in insertion order. */
  episodes: Record<string, number[]>;
}

/**
 * 30 ordinary clients (PL/PLN and DE/EUR) with three months of card payments, salaries and domestic transfers, so
 * the percentiles have a population, and on client 6 two busy days across the end of February (velocity); plus, on
 * purpose: a burst of 6 transfers in 10 minutes draining client 1, a
 * structuring day on client 2, an amount spike on client 3, a first transfer abroad on client 4, and a house
 * deposit (a decoy) on client 5. Background only: the episodes are added by `insertEpisodes`.
 */
export async function insertBackground(conn: Connection, { clients = 30, months = 3 } = {}): Promise<void> {
  await insertTypes(conn);
  const start = Date.UTC(2025, 0, 1, 8);
  const txns: FixtureTxn[] = [];
  for (let c = 1; c <= clients; c++) {
    const polish = c % 2 === 1;
    const [account] = await insertClient(conn, {
      id: c,
      country: polish ? 'PL' : 'DE',
      currencies: [polish ? 'PLN' : 'EUR'],
    });
    const unit = polish ? 4 : 1;
    let balance = 3000 * unit;
    for (let d = 0; d < months * 30; d++) {
      const day = new Date(start + d * 86_400_000);
      if (d % 30 === 0) {
        balance += 3000 * unit;
        txns.push({
          accountId: account as number,
          type: 'incoming transfer',
          date: at(day, 60),
          amount: 3000 * unit,
          balanceAfter: balance,
          title: 'Salary',
        });
      }
      if (d % 2 === 0) {
        const amount = -(20 + ((c * 7 + d * 13) % 60)) * unit;
        balance += amount;
        txns.push({
          accountId: account as number,
          type: 'card payment',
          date: at(day, 120 + c),
          amount,
          balanceAfter: balance,
          title: 'Groceries',
        });
      }
      if (c === 6 && (d === 58 || d === 59))
        txns.push(...busyDay(account as number, day, () => (balance -= 30)));
      if (d % 10 === 5) {
        const amount = -(150 + ((c * 11 + d) % 100)) * unit;
        balance += amount;
        txns.push({
          accountId: account as number,
          type: 'outgoing transfer',
          date: at(day, 300 + c),
          amount,
          balanceAfter: balance,
          recipient: `${polish ? 'PL' : 'DE'}${pad(c)}1234567890`,
          title: 'Rent share',
        });
      }
    }
  }
  txns.sort((a, b) => a.date.localeCompare(b.date));
  await insertTxns(conn, txns);
}

/**
 * Ten card payments of 30 every 90 minutes from 08:00 — more in a day than the client makes in a week. On 28
 * February and 1 March (days 58 and 59) they straddle the end of February, where the scan tests cut a full scan
 * short: the velocity rule's memory is carried across the cut in the saved state.
 */
function busyDay(accountId: number, day: Date, pay: () => number): FixtureTxn[] {
  return Array.from({ length: 10 }, (_, i) => ({
    accountId,
    type: 'card payment',
    date: at(day, 420 + i * 90),
    amount: -30,
    balanceAfter: pay(),
    title: 'Shop',
  }));
}

/** The episodes (see insertBackground), booked on 2025-03-20; returns their transaction ids. */
export async function insertEpisodes(
  conn: Connection,
  day = new Date(Date.UTC(2025, 2, 20, 9)),
): Promise<FixtureBank> {
  const episodes: Record<string, number[]> = {};
  const add = async (name: string, txns: FixtureTxn[]) => {
    const [[{ max }]] = (await conn.query(
      'SELECT COALESCE(MAX(id), 0) AS max FROM transactions',
    )) as unknown as [[{ max: number }]];
    await insertTxns(conn, txns);
    const [rows] = (await conn.query('SELECT id FROM transactions WHERE id > ? ORDER BY id', [
      max,
    ])) as unknown as [Array<{ id: number }>];
    episodes[name] = rows.map((r) => Number(r.id));
  };
  const balanceOf = async (accountId: number) => {
    const [[row]] = (await conn.query(
      'SELECT balance_after FROM transactions WHERE account_id = ? ORDER BY date DESC, id DESC LIMIT 1',
      [accountId],
    )) as unknown as [[{ balance_after: string }]];
    return Number(row.balance_after);
  };
  // Client 1 (PLN): six transfers to six new accounts within 10 minutes, draining the balance.
  let balance = await balanceOf(10);
  const slice = Math.floor((balance / 6) * 100) / 100;
  await add(
    'burst',
    Array.from({ length: 6 }, (_, i) => {
      balance -= slice;
      return {
        accountId: 10,
        type: 'express transfer',
        date: at(day, i * 2),
        amount: -slice,
        balanceAfter: Math.round(balance * 100) / 100,
        recipient: `PL${pad(60 + i)}99990000`,
        title: 'Transfer',
      };
    }),
  );
  // Client 2 (EUR): three cash deposits just under EUR 10 000 in one day.
  balance = await balanceOf(20);
  await add(
    'structuring',
    [9_500, 9_800, 9_900].map((amount, i) => {
      balance += amount;
      return {
        accountId: 20,
        type: 'deposit',
        date: at(day, 60 * (i + 1)),
        amount,
        balanceAfter: balance,
        title: 'Cash',
      };
    }),
  );
  // Client 3 (PLN): one transfer 60× the usual and 12× its largest (a spike strong on its own from 10×).
  balance = await balanceOf(30);
  await add('spike', [
    {
      accountId: 30,
      type: 'outgoing transfer',
      date: at(day, 30),
      amount: -12_000,
      balanceAfter: balance - 12_000,
      recipient: 'PL11222233334444',
      title: 'Transfer',
    },
  ]);
  // Client 4 (EUR): first ever transfer abroad (Malta).
  balance = await balanceOf(40);
  await add('new-country', [
    {
      accountId: 40,
      type: 'outgoing transfer',
      date: at(day, 45),
      amount: -400,
      balanceAfter: balance - 400,
      recipient: 'MT84MALT011000012345MTLCAST001S',
      title: 'Invoice',
    },
  ]);
  // Client 5 (PLN): a house deposit — large, one-off, titled; must stay Low.
  balance = await balanceOf(50);
  await add('house-deposit', [
    {
      accountId: 50,
      type: 'outgoing transfer',
      date: at(day, 50),
      amount: -9_500,
      balanceAfter: balance - 9_500,
      recipient: 'PL55666677778888',
      title: 'House deposit — notary',
    },
  ]);
  return { episodes };
}
