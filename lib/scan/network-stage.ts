/**
 * The scan's network stage: after the clients' rules, the network rules (lib/rules/network-rule.ts) judge the
 * bank's outgoing transfers in booking order across all clients, and their findings become alerts.
 *
 * - **Full scan**: every transfer up to the run's last id, streamed once in booking order (before the clients are
 *   judged); the findings are written after the clients' alerts.
 * - **Incremental chunk**: the chunk's new transfers together with those booked within the rules' reach before the
 *   earliest of them that the rules can use (read back from the table: nothing of the window is saved between
 *   scans), judged in booking order while the chunk's clients are judged. A finding is kept when it concerns a new
 *   transfer; findings only about transfers judged before were raised then. Each rule sees the transfers it would
 *   see in one pass over the whole table, in the same order, so both scans agree.
 *
 * A network finding often lands on a transaction that already has alerts (the clients' rules, an earlier chunk): its
 * risk is scored with theirs, and an earlier alert whose level is now lower is raised to it — only while nobody
 * works on it (status open), with a row in alert_history saying why. An analyst's work is never overwritten.
 */
import type { RowDataPacket } from 'mysql2/promise';
import { getPool, query, streamRows, withTransaction } from '../db/pool.js';
import { columnIndex } from '../db/row-columns.js';
import type { RulesConfig } from '../rules/config.js';
import { NetworkDetector, networkAnyReachDays, networkReachDays } from '../rules/network.js';
import type { Transfer } from '../rules/network-rule.js';
import { DAY, normaliseIban } from '../rules/stats.js';
import type { Finding } from '../rules/types.js';
import type { ActiveSuppressions } from '../suppressions/active.js';
import {
  type AlertCounts,
  addCounts,
  emptyCounts,
  type TransactionFindings,
  writeScoredFindings,
} from './alerts.js';
import { addCaseCounts, attachAlertIds, type CaseCounts, emptyCaseCounts } from './cases.js';
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
  private readonly currencies = new Map<string, string>();

  constructor(rows: readonly AccountRow[] = []) {
    this.add(rows);
  }

  add(rows: readonly AccountRow[]): void {
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

  hasId(id: number): boolean {
    return this.byId.has(id);
  }

  /** Adds the accounts `rows` (of PLAIN_COLUMNS) name as sender or recipient, read from the table. */
  load(rows: readonly unknown[][]): Promise<void> {
    return loadAccounts(this, rows);
  }

  /** The rows (of PLAIN_COLUMNS) as Transfers, those of known accounts with a recipient. */
  transfers(rows: readonly unknown[][]): Transfer[] {
    const transfers: Transfer[] = [];
    for (const row of rows) {
      const t = this.transfer(row);
      if (t) transfers.push(t);
    }
    return transfers;
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
      // An account of ours: its one IBAN string, not the row's (the window keeps it for weeks).
      to: recipient?.iban ?? to,
      toAccount: recipient?.id ?? 0,
      toClient: recipient?.client ?? 0,
      amount: -Number(row[PLAIN.amount]),
      currency: this.currency(row[PLAIN.currency] as string),
    };
  }

  /** One string per currency code, not one per row (a network window keeps a few weeks of transfers). */
  private currency(code: string): string {
    let kept = this.currencies.get(code);
    if (kept === undefined) {
      kept = code;
      this.currencies.set(code, code);
    }
    return kept;
  }
}

/** Booking order: time, then id. */
const byBooking = (a: Transfer, b: Transfer) => a.time - b.time || a.id - b.id;

/**
 * The full scan's network findings: judges every transfer up to `maxId` and returns the findings, with those on
 * the credits mirroring their transfers, by transaction in id order. The rows stream in booking order straight
 * into the detector and are joined to their accounts here: the same join on the server took five times the read.
 * The full scan runs it before its clients are judged (their rows are not in memory yet, and what the window
 * leaves behind is collected with the rest) and writes the findings after their alerts (writeNetworkFull).
 */
export async function detectNetworkFull(maxId: number, rules: RulesConfig): Promise<TransactionFindings[]> {
  const detector = new NetworkDetector(rules);
  if (!detector.active) return [];
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
  return [...found].sort((a, b) => a[0] - b[0]).map(([id, findings]) => ({ id, findings }));
}

/**
 * Writes the full scan's network findings (detectNetworkFull), scored with the alerts their transactions have, a
 * batch of transactions per DB transaction; when `attachCases`, the earlier alerts they raised have their cases
 * brought up to date in it (the alerts it creates join their cases with the run's others: lib/scan/cases.ts).
 * Returns what it created and what attaching did.
 */
export async function writeNetworkFull(
  entries: readonly TransactionFindings[],
  rules: RulesConfig,
  runId: number,
  suppressions?: ActiveSuppressions,
  attachCases = true,
): Promise<{ counts: AlertCounts; cases: CaseCounts }> {
  const counts = emptyCounts();
  const cases = emptyCaseCounts();
  for (let i = 0; i < entries.length; i += WRITE_TRANSACTIONS) {
    const slice = entries.slice(i, i + WRITE_TRANSACTIONS);
    const written = await withTransaction(async (tx) => {
      const created = await writeScoredFindings(tx, slice, rules, runId, suppressions);
      const attached = attachCases ? await attachAlertIds(tx, created.raised) : emptyCaseCounts();
      return { created, attached };
    });
    addCounts(counts, written.created);
    addCaseCounts(cases, written.attached);
  }
  return { counts, cases };
}

/** Above this many keys the older read-back is not narrowed to them on the server (one IN list of each at most). */
const MAX_NARROWED_KEYS = 20_000;

/**
 * An incremental chunk's network findings: the transfers of ids (from, to] judged with those booked within the
 * rules' reach before the earliest of them — or of the chunk's credits, which may mirror a transfer judged before;
 * the findings that concern a new transfer, and on a new credit its transfer's findings, by transaction. Reads on
 * pool connections of its own (only rows the chunk does not write), so it runs while the chunk's clients are judged.
 *
 * A transfer booked before the earliest new one is in no finding with a new one (a rule reads the window as it
 * stands, nothing booked later): the transfers booked since then — new, and older ones booked late — are judged,
 * the ones before only go into the window for them to read. A rule reads anything in the window only so far back
 * (NetworkRule.anyReachDays: a week); beyond that, up to its reach (six weeks), only the transfers to and from the
 * judged transfers' own recipients and sending accounts. So every transfer booked within the short reach is read
 * back, and beyond it only those of the judged transfers' keys — each rule sees what it would in one full window.
 */
export async function detectNetworkChunk(
  from: number,
  to: number,
  rules: RulesConfig,
): Promise<TransactionFindings[]> {
  // Findings only about transfers judged before were raised then — unless a new credit mirrors their transfer.
  const isNew = (f: Finding) => f.transactionId > from || f.related.some((r) => r > from);
  let credits = new Set<number>();
  const keep = (f: Finding) => isNew(f) || credits.has(f.time);
  const detector = new NetworkDetector(rules, keep);
  if (!detector.active) return [];
  const fresh = await rowsOf(`${TRANSFERS_SQL} AND id > ? AND id <= ?`, [from, to]);
  credits = await freshCreditTimes(from, to);
  if (fresh.length === 0 && credits.size === 0) return [];
  let earliest = Number.POSITIVE_INFINITY;
  for (const time of credits) earliest = Math.min(earliest, time);
  for (const row of fresh) earliest = Math.min(earliest, parseDateTime(row[PLAIN.date] as string));
  const anySince = earliest - networkAnyReachDays(rules) * DAY;
  const reachSince = earliest - networkReachDays(rules) * DAY;
  const accounts = new Accounts();
  const recent = [...(await pastRows(from, anySince)), ...fresh];
  await accounts.load(recent);
  const transfers = accounts.transfers(recent);
  // The keys of the transfers to judge: their chains are read back over the rules' whole reach.
  const keys: Keys = { ibans: new Set(), accounts: new Set() };
  for (const t of transfers) {
    if (t.time < earliest) continue;
    keys.ibans.add(t.to);
    keys.ibans.add(t.from);
    keys.accounts.add(t.account);
  }
  if (reachSince < anySince && keys.accounts.size > 0) {
    const older = await keyedRows(from, reachSince, anySince, keys);
    await accounts.load(older);
    for (const t of accounts.transfers(older)) transfers.push(t);
  }
  for (const t of transfers.sort(byBooking)) detector.push(t, t.time >= earliest);
  return findingsOf(detector, isNew, from, to);
}

/**
 * The detector's findings, by transaction: those that concern a new transfer, and on each credit of ids (from, to] mirroring a judged transfer that transfer's findings (its first of
 * each rule; on a credit written before, only its new ones).
 */
async function findingsOf(
  detector: NetworkDetector,
  isNew: (f: Finding) => boolean,
  from: number,
  to: number,
): Promise<TransactionFindings[]> {
  const found = new Map<number, Finding[]>();
  for (const [id, findings] of detector.findings) addFindings(found, id, findings.filter(isNew));
  const first = detector.firstFindings;
  const mirrors = await mirrorCredits(await getPool(), [...detector.findings.keys()]);
  for (const [debit, credit] of mirrors) {
    if (credit > to) continue;
    const findings = credit > from ? first.get(debit) : found.get(debit);
    addFindings(
      found,
      credit,
      (findings ?? []).map((f) => onCredit(f, credit)),
    );
  }
  return [...found].map(([id, findings]) => ({ id, findings }));
}

/** The booking times of the credits of ids (from, to]: each may mirror a transfer judged before. */
async function freshCreditTimes(from: number, to: number): Promise<Set<number>> {
  const rows = await rowsOf(
    "SELECT date FROM transactions WHERE id > ? AND id <= ? AND amount > 0 AND status <> 'cancelled'",
    [from, to],
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

/** The keys of the transfers a chunk judges: recipient IBANs (theirs and their senders'), sending accounts. */
interface Keys {
  ibans: Set<string>;
  accounts: Set<number>;
}

/**
 * The smallest id booked at or after `since` (ms), or undefined: rows booked since then are read by primary key
 * from it — the date index alone leads the optimiser to scan the whole table by id.
 */
async function firstIdSince(since: number): Promise<number | undefined> {
  const [{ lo }] = (await query<{ lo: number | null }>(
    'SELECT MIN(id) AS lo FROM transactions WHERE date >= ?',
    [formatDateTime(since)],
  )) as [{ lo: number | null }];
  return lo === null ? undefined : Number(lo);
}

/** The transfers of ids up to `from` booked at or after `since` (ms). */
async function pastRows(from: number, since: number): Promise<unknown[][]> {
  const lo = await firstIdSince(since);
  if (lo === undefined) return [];
  return rowsOf(`${TRANSFERS_SQL} AND id >= ? AND id <= ? AND date >= ?`, [lo, from, formatDateTime(since)]);
}

/**
 * The transfers of ids up to `from` booked from `since` to before `until` (ms) to an IBAN of `keys.ibans` or from
 * an account of `keys.accounts` — a superset: the server compares IBANs as stored, so one not stored in normal form
 * is always read (it is told apart once normalised, and more transfers in the window than the rules read change
 * nothing they find).
 */
async function keyedRows(from: number, since: number, until: number, keys: Keys): Promise<unknown[][]> {
  const lo = await firstIdSince(since);
  if (lo === undefined) return [];
  let sql = `${TRANSFERS_SQL} AND id >= ? AND id <= ? AND date >= ? AND date < ?`;
  const params: unknown[] = [lo, from, formatDateTime(since), formatDateTime(until)];
  if (keys.ibans.size <= MAX_NARROWED_KEYS && keys.accounts.size <= MAX_NARROWED_KEYS) {
    sql += " AND (recipient_account IN (?) OR account_id IN (?) OR recipient_account REGEXP '[^0-9A-Za-z]')";
    params.push([...keys.ibans], [...keys.accounts]);
  }
  return rowsOf(sql, params);
}

async function rowsOf(sql: string, params: unknown[]): Promise<unknown[][]> {
  const [rows] = await (await getPool()).query<RowDataPacket[]>({ sql, values: params, rowsAsArray: true });
  return rows as unknown as unknown[][];
}

/** Rows' senders and recipients in `into` (by primary key and by the unique account number; those not there yet). */
async function loadAccounts(into: Accounts, rows: readonly unknown[][]): Promise<void> {
  const ids = [...new Set(rows.map((r) => Number(r[PLAIN.account_id])))].filter((id) => !into.hasId(id));
  const ibans = [...new Set(rows.map((r) => r[PLAIN.recipient_account] as string))];
  const found: AccountRow[] = [];
  for (let i = 0; i < Math.max(ids.length, ibans.length); i += 5_000) {
    const [byId, byIban] = await Promise.all([
      query<AccountRow>('SELECT id, client_id, account_number FROM accounts WHERE id IN (?)', [
        ids.slice(i, i + 5_000).concat(0),
      ]),
      query<AccountRow>('SELECT id, client_id, account_number FROM accounts WHERE account_number IN (?)', [
        ibans.slice(i, i + 5_000).concat(''),
      ]),
    ]);
    found.push(...byId, ...byIban);
  }
  into.add(found);
}
