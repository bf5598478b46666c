/**
 * The scan's network stage: after the clients' rules, the network rules (lib/rules/network-rule.ts) judge the
 * bank's outgoing transfers in booking order across all clients, and their findings become alerts.
 *
 * - **Full scan**: every transfer up to the run's last id, streamed once in booking order.
 * - **Incremental chunk**: the chunk's new transfers together with those booked within the rules' reach before the
 *   earliest of them (read back from the table: nothing of the window is saved between scans), judged in booking
 *   order. A finding is kept when it concerns a new transfer; findings only about transfers judged before were
 *   raised then. The same transfers in the same order give the same findings, so both scans agree.
 *
 * A network finding often lands on a transaction that already has alerts (the clients' rules, an earlier chunk): its
 * risk is scored with theirs, and an earlier alert whose level is now lower is raised to it — only while nobody
 * works on it (status open), with a row in alert_history saying why. An analyst's work is never overwritten.
 */
import type { PoolConnection } from 'mysql2/promise';
import { query, streamRows, withTransaction } from '../db/pool.js';
import { columnIndex } from '../db/row-columns.js';
import type { RulesConfig } from '../rules/config.js';
import { NetworkDetector, networkReachDays } from '../rules/network.js';
import type { Transfer } from '../rules/network-rule.js';
import { DAY, normaliseIban } from '../rules/stats.js';
import { type AlertCounts, addCounts, emptyCounts, writeScoredFindings } from './alerts.js';
import { formatDateTime, parseDateTime } from './source.js';

const TRANSFER_COLUMNS = [
  'id',
  'account_id',
  'client_id',
  'account_number',
  'date',
  'amount',
  'currency',
  'recipient_account',
  'to_account',
  'to_client',
] as const;
const COL = columnIndex(TRANSFER_COLUMNS);

/** Outgoing transfers (money left, a recipient IBAN is set, not cancelled), their sender and, if ours, recipient. */
const TRANSFERS_SQL = `SELECT t.id, t.account_id, a.client_id, a.account_number, t.date, t.amount, t.currency,
         t.recipient_account, r.id AS to_account, r.client_id AS to_client
    FROM transactions t
    JOIN accounts a ON a.id = t.account_id
    LEFT JOIN accounts r ON r.account_number = t.recipient_account
   WHERE t.amount < 0 AND t.recipient_account IS NOT NULL AND t.recipient_account <> ''
     AND t.status <> 'cancelled'`;

/** Findings (and their writes) per transaction write. */
const WRITE_TRANSACTIONS = 2_000;

function transferOf(row: unknown[]): Transfer | undefined {
  const to = normaliseIban(row[COL.recipient_account] as string);
  if (!to) return undefined;
  return {
    id: Number(row[COL.id]),
    time: parseDateTime(row[COL.date] as string),
    account: Number(row[COL.account_id]),
    client: Number(row[COL.client_id]),
    from: normaliseIban(row[COL.account_number] as string) ?? '',
    to,
    toAccount: Number(row[COL.to_account] ?? 0),
    toClient: Number(row[COL.to_client] ?? 0),
    amount: -Number(row[COL.amount]),
    currency: row[COL.currency] as string,
  };
}

/** Booking order: time, then id. */
const byBooking = (a: Transfer, b: Transfer) => a.time - b.time || a.id - b.id;

/** The plain columns of an outgoing transfer, in booking order (joined to their accounts here, not on the server). */
const PLAIN_COLUMNS = ['id', 'account_id', 'date', 'amount', 'currency', 'recipient_account'] as const;
const PLAIN = columnIndex(PLAIN_COLUMNS);
const PLAIN_TRANSFERS_SQL = `SELECT ${PLAIN_COLUMNS.join(', ')} FROM transactions
   WHERE amount < 0 AND recipient_account IS NOT NULL AND recipient_account <> '' AND status <> 'cancelled'
     AND id <= ? ORDER BY date, id`;

/**
 * The full scan's network stage: judges every transfer up to `maxId` and writes the findings' alerts, a batch of
 * transactions per DB transaction; returns what it created. The rows stream in booking order straight into the
 * detector and are joined to their accounts here: the same join on the server took five times the read.
 */
export async function scanNetworkFull(
  runId: number,
  maxId: number,
  rules: RulesConfig,
): Promise<AlertCounts> {
  const detector = new NetworkDetector(rules);
  if (!detector.active) return emptyCounts();
  const accounts = await query<{ id: number; client_id: number; account_number: string }>(
    'SELECT id, client_id, account_number FROM accounts',
  );
  const byId = new Map(accounts.map((a) => [Number(a.id), a]));
  const byIban = new Map(accounts.map((a) => [normaliseIban(a.account_number) ?? '', a]));
  await streamRows(PLAIN_TRANSFERS_SQL, [maxId], (row) => {
    const from = byId.get(Number(row[PLAIN.account_id]));
    if (!from) return;
    const recipient = row[PLAIN.recipient_account] as string;
    const to = byIban.get(normaliseIban(recipient) ?? '');
    const t = transferOf([
      row[PLAIN.id],
      from.id,
      from.client_id,
      from.account_number,
      row[PLAIN.date],
      row[PLAIN.amount],
      row[PLAIN.currency],
      recipient,
      to?.id,
      to?.client_id,
    ]);
    if (t) detector.push(t);
  });
  const counts = emptyCounts();
  const entries = [...detector.findings]
    .sort((a, b) => a[0] - b[0])
    .map(([id, findings]) => ({ id, findings }));
  for (let i = 0; i < entries.length; i += WRITE_TRANSACTIONS) {
    const slice = entries.slice(i, i + WRITE_TRANSACTIONS);
    addCounts(counts, await withTransaction((tx) => writeScoredFindings(tx, slice, rules, runId)));
  }
  return counts;
}

/**
 * An incremental chunk's network stage, on the chunk's transaction `conn`: the transfers of ids (from, to] with
 * those booked within the rules' reach before the earliest of them; writes the findings that concern a new
 * transfer and returns what it created.
 */
export async function scanNetworkChunk(
  conn: PoolConnection,
  runId: number,
  from: number,
  to: number,
  rules: RulesConfig,
): Promise<AlertCounts> {
  // Findings only about transfers judged before were raised then.
  const detector = new NetworkDetector(
    rules,
    (f) => f.transactionId > from || f.related.some((r) => r > from),
  );
  if (!detector.active) return emptyCounts();
  const fresh = await loadTransfers(`${TRANSFERS_SQL} AND t.id > ? AND t.id <= ?`, [from, to], conn);
  if (fresh.length === 0) return emptyCounts();
  const earliest = fresh.reduce((min, t) => Math.min(min, t.time), Number.POSITIVE_INFINITY);
  const since = formatDateTime(earliest - networkReachDays(rules) * DAY);
  const past = await loadTransfers(`${TRANSFERS_SQL} AND t.date >= ? AND t.id <= ?`, [since, from], conn);
  for (const t of [...past, ...fresh].sort(byBooking)) detector.push(t);
  const entries = [...detector.findings].map(([id, findings]) => ({ id, findings }));
  return writeScoredFindings(conn, entries, rules, runId);
}

async function loadTransfers(sql: string, params: unknown[], conn: PoolConnection): Promise<Transfer[]> {
  const rows = await query(sql, params, conn);
  const transfers: Transfer[] = [];
  for (const row of rows) {
    const t = transferOf(TRANSFER_COLUMNS.map((c) => (row as Record<string, unknown>)[c]));
    if (t) transfers.push(t);
  }
  return transfers;
}
