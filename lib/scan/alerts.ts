/**
 * The scan's alerts: what a run created (AlertCounts), an alert's stored evidence, and loading them — system alerts,
 * idempotent on UNIQUE(transaction_id, rule_id). Alerts that already exist — earlier system alerts or anything an
 * analyst changed — are never updated: the load is `IGNORE` (a duplicate is skipped, never replaced), and whenever
 * IGNORE skipped a row the run's counts are re-read from the rows it owns, so they count only what it created.
 */
import type { PoolConnection, RowDataPacket } from 'mysql2/promise';
import { type BulkTarget, bulkLoad, TsvBatch, tsvText } from '../db/bulk-load.js';
import { getPool } from '../db/pool.js';
import { columnIndex } from '../db/row-columns.js';
import type { RulesConfig } from '../rules/config.js';
import type { Settled } from '../rules/engine.js';
import { RULE_IDS, RULE_REASONS, type RuleId } from '../rules/registry.js';
import { assessRisk, type RiskLevel, type ScoredTransaction, type TransactionRisk } from '../rules/risk.js';
import { ibanCountry, normaliseIban } from '../rules/stats.js';
import type { Finding, Txn } from '../rules/types.js';
import {
  type ActiveSuppression,
  type ActiveSuppressions,
  type Counterparty,
  coveringSuppression,
} from '../suppressions/active.js';

/** Alerts a run raised (by risk and reason), and findings it kept as suppressed (lib/suppressions) instead. */
export interface AlertCounts {
  created: number;
  byRisk: Record<RiskLevel, number>;
  byReason: Record<string, number>;
  suppressed: number;
}

export function emptyCounts(): AlertCounts {
  return { created: 0, byRisk: { Low: 0, Medium: 0, High: 0 }, byReason: {}, suppressed: 0 };
}

export function addCounts(into: AlertCounts, more: AlertCounts): void {
  into.created += more.created;
  into.suppressed += more.suppressed;
  for (const level of ['Low', 'Medium', 'High'] as const) into.byRisk[level] += more.byRisk[level];
  for (const [reason, n] of Object.entries(more.byReason))
    into.byReason[reason] = (into.byReason[reason] ?? 0) + n;
}

/** The sum of `counts` (a new object). */
export function sumCounts(...counts: AlertCounts[]): AlertCounts {
  const total = emptyCounts();
  for (const more of counts) addCounts(total, more);
  return total;
}

/** Counts one more alert of `level` for `reason` (a suppressed finding only as suppressed). */
function countAlert(counts: AlertCounts, level: RiskLevel, reason: string, suppressed = false): void {
  if (suppressed) {
    counts.suppressed++;
    return;
  }
  counts.created++;
  counts.byRisk[level]++;
  counts.byReason[reason] = (counts.byReason[reason] ?? 0) + 1;
}

/** An alert's evidence as stored: the finding's, with its rule, related transactions and the transaction's risk. */
export function alertEvidence(f: Finding, risk: TransactionRisk): string {
  return JSON.stringify({
    rule: f.ruleId,
    ...f.evidence,
    relatedTransactionIds: (f.evidence.relatedTransactionIds as number[] | undefined) ?? f.related,
    risk,
  });
}

/** The cells of an alert line, in the order AlertBatch.add writes them, and how each reads back. */
const ALERT_CELLS = {
  transaction_id: 'number',
  reason: 'text',
  risk_level: 'text',
  flagged_by: 'text',
  rule_id: 'text',
  score: 'number',
  evidence: 'text',
  scan_run_id: 'number',
  status: 'text',
  suppression_id: 'nullable-number',
} as const;
/** The columns of an alert line, in order (a rescan stages the same lines: lib/scan/rescan/staging.ts). */
export const ALERT_LINE = Object.keys(ALERT_CELLS) as Array<keyof typeof ALERT_CELLS>;
const ALERT = columnIndex(ALERT_LINE);

const ALERTS: BulkTarget = {
  table: 'alerts',
  columns: ALERT_LINE,
  file: 'scan-alerts.tsv',
  onDuplicate: 'IGNORE',
};

/**
 * Alert rows written straight into LOAD DATA's TSV bytes as they are made, with their counts by risk and reason:
 * the full scan writes 100 000s of alerts, and rows kept as arrays of strings until their write — then copied into
 * TSV text, then into bytes — were most of its garbage and of its peak memory. A batch is reused once written
 * (`reset`); the INSERT fallback and a recount read the rows back from the bytes.
 */
export class AlertBatch extends TsvBatch {
  counts = emptyCounts();

  constructor(capacity = 1 << 20) {
    super(ALERT_CELLS, capacity);
  }

  override reset(): this {
    this.counts = emptyCounts();
    return super.reset();
  }

  add(
    transactionId: number,
    ruleId: RuleId,
    level: RiskLevel,
    score: number,
    evidence: string,
    runId: number,
    suppressionId?: number,
  ): void {
    const reason = RULE_REASONS[ruleId];
    const kept = suppressionId === undefined ? 'open\t\\N' : `suppressed\t${suppressionId}`;
    // ALERT_CELLS' order.
    this.lines.append(
      `${transactionId}\t${reason}\t${level}\tsystem\t${ruleId}\t${score}\t${tsvText(evidence)}\t${runId}\t${kept}\n`,
    );
    countAlert(this.counts, level, reason, suppressionId !== undefined);
  }
}

/**
 * Adds a settled transaction's alerts to `batch`: one per finding, each carrying the transaction's risk — except
 * for the rules `existing` says the transaction has an alert for already. A finding one of `suppressions` (its
 * client's active ones) covers is added as suppressed, naming the suppression.
 */
export function addSettledAlerts(
  batch: AlertBatch,
  s: Settled,
  rules: RulesConfig,
  runId: number,
  existing?: { has(transactionId: number, ruleId: string): boolean },
  suppressions?: readonly ActiveSuppression[],
): void {
  const risk = assessRisk(s.findings, s.txn, rules.risk);
  for (const f of s.findings) {
    if (existing?.has(s.id, f.ruleId)) continue;
    const suppressedBy = suppressions && coveringSuppression(suppressions, f.ruleId, s.txn);
    batch.add(s.id, f.ruleId, risk.level, f.score, alertEvidence(f, risk), runId, suppressedBy);
  }
}

const ALERT_KEY = ['transaction_id', 'rule_id'] as const;
const KEY = columnIndex(ALERT_KEY);
const RULE_BITS = new Map(RULE_IDS.map((id, i) => [id as string, 1 << i]));

/**
 * The (transaction, rule) pairs that have an alert, read once (the full scan asks about every transaction, so one
 * sequential read of the index beats a lookup per batch): per transaction, a bit per rule.
 */
export class ExistingAlerts {
  private readonly bits = new Map<number, number>();

  static async load(maxId: number): Promise<ExistingAlerts> {
    const known = new ExistingAlerts();
    const [rows] = await (await getPool()).query<RowDataPacket[]>({
      sql: `SELECT ${ALERT_KEY.join(', ')} FROM alerts WHERE rule_id IS NOT NULL AND transaction_id <= ?`,
      rowsAsArray: true,
      values: [maxId],
    });
    for (const row of rows as unknown as unknown[][]) {
      const id = Number(row[KEY.transaction_id]);
      const bit = RULE_BITS.get(row[KEY.rule_id] as string);
      if (bit !== undefined) known.bits.set(id, (known.bits.get(id) ?? 0) | bit);
    }
    return known;
  }

  has(transactionId: number, ruleId: string): boolean {
    const bit = RULE_BITS.get(ruleId);
    return bit !== undefined && ((this.bits.get(transactionId) ?? 0) & bit) !== 0;
  }
}

/** A system alert a transaction has already, as scoring and raising need it. */
interface EarlierAlert {
  id: number;
  ruleId: RuleId;
  score: number;
  level: RiskLevel;
  status: string;
}

/** The system alerts of `ids` (read on `conn`: inside a chunk's transaction, its own writes included). */
async function earlierAlerts(
  conn: PoolConnection,
  ids: readonly number[],
): Promise<Map<number, EarlierAlert[]>> {
  const byId = new Map<number, EarlierAlert[]>();
  for (let i = 0; i < ids.length; i += 5_000) {
    const [rows] = await conn.query<RowDataPacket[]>(
      `SELECT id, transaction_id, rule_id, score, risk_level, status FROM alerts
        WHERE transaction_id IN (?) AND flagged_by = 'system' AND rule_id IS NOT NULL`,
      [ids.slice(i, i + 5_000)],
    );
    for (const r of rows) {
      const list = byId.get(Number(r.transaction_id)) ?? [];
      list.push({
        id: Number(r.id),
        ruleId: r.rule_id as RuleId,
        score: Number(r.score ?? 0),
        level: r.risk_level as RiskLevel,
        status: r.status as string,
      });
      byId.set(Number(r.transaction_id), list);
    }
  }
  return byId;
}

/** The client and counterparty of transactions `ids` (read only when some client has a suppression). */
async function counterparties(
  conn: PoolConnection,
  ids: readonly number[],
): Promise<Map<number, Counterparty & { clientId: number }>> {
  const byId = new Map<number, Counterparty & { clientId: number }>();
  for (let i = 0; i < ids.length; i += 5_000) {
    const [rows] = await conn.query<RowDataPacket[]>(
      `SELECT t.id, ac.client_id, t.recipient_account FROM transactions t JOIN accounts ac ON ac.id = t.account_id
        WHERE t.id IN (?)`,
      [ids.slice(i, i + 5_000)],
    );
    for (const r of rows) {
      const recipient = normaliseIban(r.recipient_account as string | null);
      byId.set(Number(r.id), {
        clientId: Number(r.client_id),
        recipient,
        recipientCountry: ibanCountry(recipient),
      });
    }
  }
  return byId;
}

/** Findings on one transaction, with the transaction when the detector saw it (its title can hold the risk down). */
export interface TransactionFindings {
  id: number;
  txn?: Pick<Txn, 'title'> | undefined;
  findings: Finding[];
}

const LEVEL_RANK: Record<RiskLevel, number> = { Low: 0, Medium: 1, High: 2 };

/** What writeScoredFindings wrote: the alerts it created, and the earlier alerts it raised (their ids). */
export type ScoredWrite = AlertCounts & { raised: number[] };

/**
 * Findings that arrive after their transaction may have alerts already (an episode a later chunk completes, a
 * network finding): each transaction's risk is scored from its new findings and the alerts it has for other rules;
 * the findings of rules it has no alert for become alerts at that level, and its open system alerts below that level
 * are raised to it, each with an alert_history row saying why (alerts an analyst works on or closed are left as
 * they are). Runs on `conn`, the caller's transaction; returns what it created and the ids of the alerts it raised
 * (their cases' figures move).
 */
export async function writeScoredFindings(
  conn: PoolConnection,
  entries: readonly TransactionFindings[],
  rules: RulesConfig,
  runId: number,
  suppressions?: ActiveSuppressions,
): Promise<ScoredWrite> {
  if (entries.length === 0) return { ...emptyCounts(), raised: [] };
  const ids = entries.map((e) => e.id);
  const earlier = await earlierAlerts(conn, ids);
  const parties = suppressions?.clients ? await counterparties(conn, ids) : undefined;
  const batch = new AlertBatch(64 * 1024);
  const raises: Array<{ alert: EarlierAlert; level: RiskLevel; rules: RuleId[] }> = [];
  for (const { id, txn, findings } of entries) {
    const before = earlier.get(id) ?? [];
    const fired = new Set(findings.map((f) => f.ruleId));
    const others = before
      .filter((b) => !fired.has(b.ruleId))
      .map((b) => ({
        transactionId: id,
        time: 0,
        ruleId: b.ruleId,
        score: b.score,
        evidence: {},
        related: [],
      }));
    const risk = assessRisk([...findings, ...others], txn, rules.risk);
    const had = new Set(before.map((b) => b.ruleId));
    const party = parties?.get(id);
    for (const f of findings) {
      if (had.has(f.ruleId)) continue;
      const suppressedBy = party && suppressions?.covering(party.clientId, f.ruleId, party);
      batch.add(id, f.ruleId, risk.level, f.score, alertEvidence(f, risk), runId, suppressedBy);
    }
    for (const alert of before) {
      if (alert.status === 'open' && LEVEL_RANK[alert.level] < LEVEL_RANK[risk.level])
        raises.push({ alert, level: risk.level, rules: [...fired] });
    }
  }
  const created = await writeAlertBatch(conn, batch, runId);
  await raiseAlerts(conn, raises, runId);
  return { ...created, raised: raises.map((r) => r.alert.id) };
}

/** Raises alerts to a higher risk level, each with a history row naming the findings that raised it. */
async function raiseAlerts(
  conn: PoolConnection,
  raises: ReadonlyArray<{ alert: EarlierAlert; level: RiskLevel; rules: RuleId[] }>,
  runId: number,
): Promise<void> {
  for (let i = 0; i < raises.length; i += 1_000) {
    const slice = raises.slice(i, i + 1_000);
    for (const level of ['Medium', 'High'] as const) {
      const ids = slice.filter((r) => r.level === level).map((r) => r.alert.id);
      if (ids.length)
        await conn.query("UPDATE alerts SET risk_level = ? WHERE id IN (?) AND status = 'open'", [
          level,
          ids,
        ]);
    }
    await conn.query(
      'INSERT INTO alert_history (alert_id, changed_at, changed_by, from_status, to_status, note) VALUES ?',
      [
        slice.map((r) => [
          r.alert.id,
          new Date(),
          'system',
          'open',
          'open',
          `risk raised from ${r.alert.level} to ${r.level} by later findings (${r.rules.join(', ')}) in scan run ${runId}`,
        ]),
      ],
    );
  }
}

/**
 * Writes, on `conn` (the caller's transaction), the alerts of already scored transactions whose (transaction, rule)
 * has none yet — one per finding, each carrying the transaction's risk level — and returns what it created, by risk
 * level and reason. Existing alerts are looked up first, so the counts are what this run created; should another writer
 * have slipped one in meanwhile, writeAlertBatch re-reads them.
 */
export async function writeAlerts(
  conn: PoolConnection,
  scored: readonly ScoredTransaction[],
  runId: number,
  { loadData = true }: { loadData?: boolean } = {},
): Promise<AlertCounts> {
  if (scored.every((s) => s.findings.length === 0)) return emptyCounts();
  const ids = [...new Set(scored.filter((s) => s.findings.length).map((s) => s.txn.id))];
  const existing = new Set<string>();
  for (const [id, alerts] of await earlierAlerts(conn, ids))
    for (const a of alerts) existing.add(`${id}|${a.ruleId}`);
  const batch = new AlertBatch(64 * 1024);
  for (const { txn, risk, findings } of scored) {
    for (const f of findings) {
      const key = `${txn.id}|${f.ruleId}`;
      if (existing.has(key)) continue;
      existing.add(key);
      batch.add(txn.id, f.ruleId, risk.level, f.score, alertEvidence(f, risk), runId);
    }
  }
  return writeAlertBatch(conn, batch, runId, { loadData });
}

/**
 * Writes `batch` (alerts that did not exist when it was made) on `conn` and returns what it created; should another
 * writer have slipped one of them in meanwhile (IGNORE skips it), the counts are re-read from what this run owns.
 * LOAD DATA LOCAL … IGNORE (a TSV stream built in memory: no SQL text to escape and parse) where the server allows
 * it, else large INSERT IGNORE batches.
 *
 * Every transaction_id was just read from transactions, and the only writer that deletes transactions — the seeder's
 * --reset — takes the scan lock first (lib/db/locks.ts), so none can vanish meanwhile. The per-row foreign key
 * lookups — random reads all over the transactions table, which halved the full scan's write speed — are skipped
 * for the load and switched back on before the connection goes back to the pool.
 */
export async function writeAlertBatch(
  conn: PoolConnection,
  batch: AlertBatch,
  runId: number,
  { loadData = true }: { loadData?: boolean } = {},
): Promise<AlertCounts> {
  if (batch.size === 0) return emptyCounts();
  await conn.query('SET SESSION foreign_key_checks = 0');
  let inserted: number;
  try {
    inserted = await bulkLoad(conn, ALERTS, batch, { method: loadData ? 'auto' : 'insert' });
  } finally {
    await conn.query('SET SESSION foreign_key_checks = 1');
  }
  return inserted === batch.size ? batch.counts : recount(conn, batch.rows(), runId);
}

/** The counts of the alert rows of `rows` that this run really owns (after IGNORE skipped someone else's). */
async function recount(
  conn: PoolConnection,
  rows: readonly unknown[][],
  runId: number,
): Promise<AlertCounts> {
  const counts = emptyCounts();
  const owned = new Set<string>();
  for (let i = 0; i < rows.length; i += 5000) {
    const ids = rows.slice(i, i + 5000).map((row) => row[ALERT.transaction_id]);
    const [found] = await conn.query<RowDataPacket[]>(
      'SELECT transaction_id, rule_id FROM alerts WHERE scan_run_id = ? AND transaction_id IN (?)',
      [runId, [...new Set(ids)]],
    );
    for (const r of found) owned.add(`${r.transaction_id}|${r.rule_id}`);
  }
  for (const row of rows) {
    if (!owned.has(`${row[ALERT.transaction_id]}|${row[ALERT.rule_id]}`)) continue;
    const suppressed = row[ALERT.status] === 'suppressed';
    countAlert(counts, row[ALERT.risk_level] as RiskLevel, row[ALERT.reason] as string, suppressed);
  }
  return counts;
}
