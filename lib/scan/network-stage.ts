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
import type { PoolConnection, RowDataPacket } from 'mysql2/promise';
import { getPool, query, streamRows, withTransaction } from '../db/pool.js';
import { columnIndex } from '../db/row-columns.js';
import type { RulesConfig } from '../rules/config.js';
import { NetworkDetector, networkReachDays } from '../rules/network.js';
import type { Transfer } from '../rules/network-rule.js';
import { DAY, normaliseIban } from '../rules/stats.js';
import type { Finding } from '../rules/types.js';
import { type AlertCounts, addCounts, emptyCounts, writeScoredFindings } from './alerts.js';
import { mirrorCredits, onCredit } from './mirror-credits.js';
import { formatDateTime, parseDateTime } from './source.js';

/** An outgoing transfer's own columns; its sender and, when ours, recipient are resolved here (see Accounts). */
const PLAIN_COLUMNS = ['id', 'account_id', 'date', 'amount', 'currency', 'recipient_account'] as const;
const PLAIN = columnIndex(PLAIN_COLUMNS);
/** Outgoing transfers: money left, a recipient IBAN is set, not cancelled. */
const TRANSFERS_SQL = `SELECT ${PLAIN_COLUMNS.join(', ')} FROM transactions
   WHERE amount < 0 AND recipient_account IS NOT NULL AND recipient_account <> '' AND status <> 'cancelled'`;

type AccountRow = {
  id: number;
  client_id: number;
  account_number: string;
};

/** An account as a transfer names it, its IBAN normalised once. */
interface Account {
  id: number;
  client: number;
  iban: string;
}

/** Findings (and their writes) per transaction write. */
const WRITE_TRANSACTIONS = 2_000;

/**
 * Accounts by id and by IBAN, to resolve a transfer's sender and recipient in memory: the same join on the server
 * took five times the read of the transfers themselves.
 */
class Accounts {
  private readonly byId = new Map<number, Account>();
  private readonly byIban = new Map<string, Account>();

  constructor(rows: readonly AccountRow[]) {
    for (const a of rows) {
      const account = {
        id: Number(a.id),
        client: Number(a.client_id),
        iban: normaliseIban(a.account_number) ?? '',
      };
      this.byId.set(account.id, account);
      this.byIban.set(account.iban, account);
    }
  }

  /** A row of PLAIN_COLUMNS as a Transfer (undefined when its account is unknown or it has no recipient). */
  transfer(row: unknown[]): Transfer | undefined {
    const sender = this.byId.get(Number(row[PLAIN.account_id]));
    const to = normaliseIban(row[PLAIN.recipient_account] as string);
    if (!sender || !to) return undefined;
    const recipient = this.byIban.get(to);
    return {
      id: Number(row[PLAIN.id]),
      time: parseDateTime(row[PLAIN.date] as string),
      account: sender.id,
      client: sender.client,
      from: sender.iban,
      to,
      toAccount: recipient?.id ?? 0,
      toClient: recipient?.client ?? 0,
      amount: -Number(row[PLAIN.amount]),
      currency: row[PLAIN.currency] as string,
    };
  }
}

/** Booking order: time, then id. */
const byBooking = (a: Transfer, b: Transfer) => a.time - b.time || a.id - b.id;

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
  const accounts = new Accounts(
    await query<AccountRow>('SELECT id, client_id, account_number FROM accounts'),
  );
  await streamRows(`${TRANSFERS_SQL} AND id <= ? ORDER BY date, id`, [maxId], (row) => {
    const t = accounts.transfer(row);
    if (t) detector.push(t);
  });
  const found = new Map(detector.findings);
  const mirrors = await mirrorCredits(await getPool(), [...detector.findings.keys()]);
  for (const [debit, credit] of mirrors) {
    if (credit > maxId) continue;
    const findings = detector.findings.get(debit) as Finding[];
    addFindings(
      found,
      credit,
      findings.map((f) => onCredit(f, credit)),
    );
  }
  const counts = emptyCounts();
  const entries = [...found].sort((a, b) => a[0] - b[0]).map(([id, findings]) => ({ id, findings }));
  for (let i = 0; i < entries.length; i += WRITE_TRANSACTIONS) {
    const slice = entries.slice(i, i + WRITE_TRANSACTIONS);
    addCounts(counts, await withTransaction((tx) => writeScoredFindings(tx, slice, rules, runId)));
  }
  return counts;
}

/**
 * An incremental chunk's network stage, on the chunk's transaction `conn`: the transfers of ids (from, to] with
 * those booked within the rules' reach before the earliest of them — or of the chunk's credits, which may mirror a
 * transfer judged before; writes the findings that concern a new transfer, and on a new credit its debit's
 * findings, and returns what it created.
 */
export async function scanNetworkChunk(
  conn: PoolConnection,
  runId: number,
  from: number,
  to: number,
  rules: RulesConfig,
): Promise<AlertCounts> {
  // Findings only about transfers judged before were written then — unless a new credit mirrors their transfer.
  const isNew = (f: Finding) => f.transactionId > from || f.related.some((r) => r > from);
  let creditTimes = new Set<number>();
  const detector = new NetworkDetector(rules, (f) => isNew(f) || creditTimes.has(f.time));
  if (!detector.active) return emptyCounts();
  const fresh = await rowsOf(`${TRANSFERS_SQL} AND id > ? AND id <= ?`, [from, to], conn);
  creditTimes = await freshCreditTimes(conn, from, to);
  if (fresh.length === 0 && creditTimes.size === 0) return emptyCounts();
  let earliest = Number.POSITIVE_INFINITY;
  for (const time of creditTimes) earliest = Math.min(earliest, time);
  for (const row of fresh) earliest = Math.min(earliest, parseDateTime(row[PLAIN.date] as string));
  const since = formatDateTime(earliest - networkReachDays(rules) * DAY);
  const rows = [
    ...(await rowsOf(`${TRANSFERS_SQL} AND date >= ? AND id <= ?`, [since, from], conn)),
    ...fresh,
  ];
  const accounts = await accountsOf(rows, conn);
  const transfers: Transfer[] = [];
  for (const row of rows) {
    const t = accounts.transfer(row);
    if (t) transfers.push(t);
  }
  for (const t of transfers.sort(byBooking)) detector.push(t);
  const found = new Map<number, Finding[]>();
  for (const [id, findings] of detector.findings) addFindings(found, id, findings.filter(isNew));
  const mirrors = await mirrorCredits(conn, [...detector.findings.keys()]);
  for (const [debit, credit] of mirrors) {
    if (credit > to) continue;
    // A new credit takes every finding of its transfer; one written before, only the new ones.
    const findings =
      credit > from ? detector.firstFindings.get(debit) : detector.findings.get(debit)?.filter(isNew);
    addFindings(
      found,
      credit,
      (findings ?? []).map((f) => onCredit(f, credit)),
    );
  }
  const entries = [...found].map(([id, findings]) => ({ id, findings }));
  return writeScoredFindings(conn, entries, rules, runId);
}

/** The booking times of the credits of ids (from, to]: a transfer booked then may have its credit among them. */
async function freshCreditTimes(conn: PoolConnection, from: number, to: number): Promise<Set<number>> {
  const rows = await rowsOf(
    "SELECT DISTINCT date FROM transactions WHERE id > ? AND id <= ? AND amount > 0 AND status <> 'cancelled'",
    [from, to],
    conn,
  );
  return new Set(rows.map((row) => parseDateTime(row[0] as string)));
}

/** Adds `findings` (if any) to transaction `id`'s, one per rule. */
function addFindings(map: Map<number, Finding[]>, id: number, findings: readonly Finding[]): void {
  if (findings.length === 0) return;
  const list = map.get(id) ?? [];
  for (const f of findings) if (!list.some((g) => g.ruleId === f.ruleId)) list.push(f);
  map.set(id, list);
}

async function rowsOf(sql: string, params: unknown[], conn: PoolConnection): Promise<unknown[][]> {
  const [rows] = await conn.query<RowDataPacket[]>({ sql, values: params, rowsAsArray: true });
  return rows as unknown as unknown[][];
}

/** The accounts the rows' senders and recipients are (by primary key and by the unique account number). */
async function accountsOf(rows: readonly unknown[][], conn: PoolConnection): Promise<Accounts> {
  const ids = [...new Set(rows.map((r) => Number(r[PLAIN.account_id])))];
  const ibans = [...new Set(rows.map((r) => r[PLAIN.recipient_account] as string))];
  const found: AccountRow[] = [];
  for (let i = 0; i < Math.max(ids.length, ibans.length); i += 5_000) {
    const [byId] = await conn.query<RowDataPacket[]>(
      'SELECT id, client_id, account_number FROM accounts WHERE id IN (?)',
      [ids.slice(i, i + 5_000).concat(0)],
    );
    const [byIban] = await conn.query<RowDataPacket[]>(
      'SELECT id, client_id, account_number FROM accounts WHERE account_number IN (?)',
      [ibans.slice(i, i + 5_000).concat('')],
    );
    found.push(...(byId as AccountRow[]), ...(byIban as AccountRow[]));
  }
  return new Accounts(found);
}
