/**
 * The scan's network stage: after the clients' rules, the network rules (lib/rules/network-rule.ts) judge the
 * bank's outgoing transfers in booking order across all clients, and their findings become alerts.
 *
 * - **Full scan**: every transfer up to the run's last id, streamed once in booking order.
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
import { NetworkDetector, type NetworkRuleFilter, networkReachDays } from '../rules/network.js';
import type { Transfer } from '../rules/network-rule.js';
import { DAY, normaliseIban } from '../rules/stats.js';
import type { Finding } from '../rules/types.js';
import {
  type AlertCounts,
  addCounts,
  emptyCounts,
  type TransactionFindings,
  writeScoredFindings,
} from './alerts.js';
import { addCaseCounts, attachScanAlerts, type CaseCounts, emptyCaseCounts, lastAlertId } from './cases.js';
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
 * The full scan's network stage: judges every transfer up to `maxId` and writes the findings' alerts, a batch of
 * transactions per DB transaction, attaching them (and the alerts they raised) to cases in it when `attachCases`;
 * returns what it created and what attaching did. The rows stream in booking order straight into the
 * detector and are joined to their accounts here: the same join on the server took five times the read.
 */
export async function scanNetworkFull(
  runId: number,
  maxId: number,
  rules: RulesConfig,
  attachCases = true,
): Promise<{ counts: AlertCounts; cases: CaseCounts }> {
  const counts = emptyCounts();
  const cases = emptyCaseCounts();
  const detector = new NetworkDetector(rules);
  if (!detector.active) return { counts, cases };
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
  const entries = [...found].sort((a, b) => a[0] - b[0]).map(([id, findings]) => ({ id, findings }));
  for (let i = 0; i < entries.length; i += WRITE_TRANSACTIONS) {
    const slice = entries.slice(i, i + WRITE_TRANSACTIONS);
    const written = await withTransaction(async (tx) => {
      const since = attachCases ? await lastAlertId(tx) : 0;
      const created = await writeScoredFindings(tx, slice, rules, runId);
      const attached = attachCases
        ? await attachScanAlerts(tx, runId, since, created.raised)
        : emptyCaseCounts();
      return { created, attached };
    });
    addCounts(counts, written.created);
    addCaseCounts(cases, written.attached);
  }
  return { counts, cases };
}

/** The network rules that judge a transfer on the payments to its recipient alone (NetworkRule.reads), and the rest. */
const BY_RECIPIENT: NetworkRuleFilter = (rule) => rule.reads === 'recipient';
const BY_ANY: NetworkRuleFilter = (rule) => rule.reads !== 'recipient';

/** Above this many recipients the read-back is not narrowed to them on the server (one IN list of them at most). */
const MAX_NARROWED_RECIPIENTS = 20_000;

/**
 * An incremental chunk's network findings: the transfers of ids (from, to] judged with those booked within the
 * rules' reach before the earliest of them — or of the chunk's credits, which may mirror a transfer judged before;
 * the findings that concern a new transfer, and on a new credit its transfer's findings, by transaction. Reads on
 * pool connections of its own (only rows the chunk does not write), so it runs while the chunk's clients are judged.
 *
 * Two detectors, each fed only what its rules can use: the rules that read only a recipient's payments get the
 * payments to the recipients the new transfers pay, within their reach (a finding of theirs about another
 * recipient concerns no new transfer); the others get every transfer within their own, shorter, reach. A rule
 * reads the window by time, from at most its reach before the transfer it judges, and a transfer booked before
 * the earliest new one is in no finding with a new one — so each rule sees what it would in one full window.
 */
export async function detectNetworkChunk(
  from: number,
  to: number,
  rules: RulesConfig,
): Promise<TransactionFindings[]> {
  // Findings only about transfers judged before were raised then — unless a new credit mirrors their transfer.
  const isNew = (f: Finding) => f.transactionId > from || f.related.some((r) => r > from);
  let credits: FreshCredits = { times: new Set(), ibans: new Set() };
  const keep = (f: Finding) => isNew(f) || credits.times.has(f.time);
  const detectors = [BY_RECIPIENT, BY_ANY].map((which) => new NetworkDetector(rules, keep, which));
  const [byRecipient, byAny] = detectors as [NetworkDetector, NetworkDetector];
  if (!byRecipient.active && !byAny.active) return [];
  const fresh = await rowsOf(`${TRANSFERS_SQL} AND id > ? AND id <= ?`, [from, to]);
  credits = await freshCredits(from, to);
  if (fresh.length === 0 && credits.times.size === 0) return [];
  let earliest = Number.POSITIVE_INFINITY;
  for (const time of credits.times) earliest = Math.min(earliest, time);
  for (const row of fresh) earliest = Math.min(earliest, parseDateTime(row[PLAIN.date] as string));
  const reach = (d: NetworkDetector, which: NetworkRuleFilter) =>
    d.active ? earliest - networkReachDays(rules, which) * DAY : Number.POSITIVE_INFINITY;
  // A new credit's transfer was paid to the credit's own account.
  const recipients = new Set<string>(credits.ibans);
  for (const row of fresh) {
    const iban = normaliseIban(row[PLAIN.recipient_account] as string);
    if (iban) recipients.add(iban);
  }
  const window = {
    from,
    anySince: reach(byAny, BY_ANY),
    recipientSince: reach(byRecipient, BY_RECIPIENT),
    recipients,
  };
  const rows = [...(await pastRows(window)), ...fresh];
  const accounts = await accountsOf(rows);
  const transfers: Transfer[] = [];
  for (const row of rows) {
    const t = accounts.transfer(row);
    if (t) transfers.push(t);
  }
  for (const t of transfers.sort(byBooking)) {
    if (t.time >= window.anySince) byAny.push(t);
    if (t.time >= window.recipientSince && recipients.has(t.to)) byRecipient.push(t);
  }
  return findingsOf(detectors, isNew, from, to);
}

/**
 * The detectors' findings, by transaction (each rule is driven by one detector only): those that concern a new
 * transfer, and on each credit of ids (from, to] mirroring a judged transfer that transfer's findings (its first of
 * each rule; on a credit written before, only its new ones).
 */
async function findingsOf(
  detectors: readonly NetworkDetector[],
  isNew: (f: Finding) => boolean,
  from: number,
  to: number,
): Promise<TransactionFindings[]> {
  const found = new Map<number, Finding[]>();
  const first = new Map<number, Finding[]>();
  for (const d of detectors) {
    for (const [id, findings] of d.findings) addFindings(found, id, findings.filter(isNew));
    for (const [id, findings] of d.firstFindings) addFindings(first, id, findings);
  }
  const kept = new Set(detectors.flatMap((d) => [...d.findings.keys()]));
  const mirrors = await mirrorCredits(await getPool(), [...kept]);
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

/** The booking times of the credits of ids (from, to] and their accounts' IBANs: each may mirror a transfer. */
interface FreshCredits {
  times: Set<number>;
  ibans: Set<string>;
}

async function freshCredits(from: number, to: number): Promise<FreshCredits> {
  const rows = await rowsOf(
    `SELECT t.date, a.account_number FROM transactions t JOIN accounts a ON a.id = t.account_id
      WHERE t.id > ? AND t.id <= ? AND t.amount > 0 AND t.status <> 'cancelled'`,
    [from, to],
  );
  const credits: FreshCredits = { times: new Set(), ibans: new Set() };
  for (const row of rows) {
    credits.times.add(parseDateTime(row[0] as string));
    const iban = normaliseIban(row[1] as string);
    if (iban) credits.ibans.add(iban);
  }
  return credits;
}

/** Adds `findings` (if any) to transaction `id`'s, one per rule. */
function addFindings(map: Map<number, Finding[]>, id: number, findings: readonly Finding[]): void {
  if (findings.length === 0) return;
  const list = map.get(id) ?? [];
  for (const f of findings) if (!list.some((g) => g.ruleId === f.ruleId)) list.push(f);
  map.set(id, list);
}

/** What an incremental chunk reads back from before its new transfers (times in ms; Infinity: nothing). */
interface PastWindow {
  /** The chunk starts above this id. */
  from: number;
  /** Every transfer booked since then. */
  anySince: number;
  /** The transfers to `recipients` booked since then. */
  recipientSince: number;
  recipients: ReadonlySet<string>;
}

/**
 * The transfers of ids up to `from` within the window (a superset: the server compares IBANs as stored, so one not
 * stored in normal form is always read and told apart once normalised). Read by primary key from the smallest id
 * booked since the window's start — the date index alone leads the optimiser to scan the whole table by id.
 */
async function pastRows(w: PastWindow): Promise<unknown[][]> {
  const since = Math.min(w.anySince, w.recipientSince);
  if (since === Number.POSITIVE_INFINITY) return [];
  const [{ lo }] = (await query<{ lo: number | null }>(
    'SELECT MIN(id) AS lo FROM transactions WHERE date >= ?',
    [formatDateTime(since)],
  )) as [{ lo: number | null }];
  if (lo === null) return [];
  let sql = `${TRANSFERS_SQL} AND id >= ? AND id <= ? AND date >= ?`;
  const params: unknown[] = [Number(lo), w.from, formatDateTime(since)];
  if (w.recipientSince < w.anySince && w.recipients.size <= MAX_NARROWED_RECIPIENTS) {
    const narrowed = "recipient_account IN (?) OR recipient_account REGEXP '[^0-9A-Za-z]'";
    if (w.anySince === Number.POSITIVE_INFINITY) sql += ` AND (${narrowed})`;
    else {
      sql += ` AND (date >= ? OR ${narrowed})`;
      params.push(formatDateTime(w.anySince));
    }
    params.push([...w.recipients]);
  }
  return rowsOf(sql, params);
}

async function rowsOf(sql: string, params: unknown[]): Promise<unknown[][]> {
  const [rows] = await (await getPool()).query<RowDataPacket[]>({ sql, values: params, rowsAsArray: true });
  return rows as unknown as unknown[][];
}

/** The accounts the rows' senders and recipients are (by primary key and by the unique account number). */
async function accountsOf(rows: readonly unknown[][]): Promise<Accounts> {
  const ids = [...new Set(rows.map((r) => Number(r[PLAIN.account_id])))];
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
  return new Accounts(found);
}
