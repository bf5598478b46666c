/**
 * Detection quality against the seeder's ground truth (table anomaly_labels: transaction_id, episode_id, kind,
 * suspicious). Only this module reads that table — the detector never does.
 *
 * A transaction's level is the highest risk_level of its system alerts. The kinds are those present in the table
 * (data imported from elsewhere brings its own): a kind of ANOMALY_KINDS is suspicious and one of DECOY_KINDS is not;
 * any other kind is suspicious when its rows say suspicious = 1. Per kind: recall of episodes (an episode counts as
 * caught when at least one of its transactions is at Medium or above — the analyst is led to the episode), of
 * clients (a client of an episode — the owner of one of its labelled transactions' accounts — counts as caught when
 * one of its own labelled transactions in that episode is at Medium or above; an episode spanning several clients
 * counts each) and of transactions (every labelled transaction at Medium or above). Precision of High and of
 * Medium or above: of all transactions with such an alert, the share labelled suspicious. The same three recalls at
 * High. Decoys: their highest level (target: Low) and their episodes and transactions above Low. Load: transactions
 * whose highest system alert is Low, Medium or High, per 1 000 transactions. Findings kept as suppressed (an
 * analyst's suppression covered them) are not alerts: they are counted apart, with how many are labelled suspicious.
 */

import { query } from '../db/pool.js';
import { ANOMALY_KINDS, DECOY_KINDS } from '../domain/bank.js';
import { ValidationError } from '../errors.js';

export interface KindQuality {
  kind: string;
  suspicious: boolean;
  episodes: number;
  transactions: number;
  /** Episodes with a transaction at ≥ Medium / episodes. */
  episodeRecall: number;
  /** Episodes with a transaction at High / episodes. */
  episodeHighRecall: number;
  /** (episode, client) pairs, and the share with one of the client's labelled transactions at ≥ Medium / at High. */
  clients: number;
  clientRecall: number;
  clientHighRecall: number;
  /** Labelled transactions at ≥ Medium / labelled transactions. */
  transactionRecall: number;
  /** Labelled transactions at High / labelled transactions. */
  highRecall: number;
  /** Labelled transactions with any alert / labelled transactions. */
  anyRecall: number;
  maxRisk: 'none' | 'Low' | 'Medium' | 'High';
  /** Transactions above Low (for a decoy, each is a false alarm in the Medium / High queues). */
  aboveLow: number;
  /** Episodes with a transaction above Low. */
  episodesAboveLow: number;
}

export interface Evaluation {
  kinds: KindQuality[];
  high: { transactions: number; suspicious: number; precision: number };
  mediumOrAbove: { transactions: number; suspicious: number; precision: number };
  /**
   * Clients (account holders) with a transaction at Medium or above, and the share of them in a suspicious episode
   * — precision at client level, as account-labelled data (AMLSim) is judged.
   */
  mediumOrAboveClients: { clients: number; suspicious: number; precision: number };
  alertedTransactions: number;
  /** All transactions, and those whose highest system alert is each level, per 1 000 of them. */
  totalTransactions: number;
  perThousand: { Low: number; Medium: number; High: number };
  /**
   * Findings kept as suppressed (left out of everything above), the transactions they are on, and those of them
   * labelled suspicious — what the analysts' suppressions hid that they should not have.
   */
  suppressed: { findings: number; transactions: number; suspicious: number };
}

const LEVELS = ['none', 'Low', 'Medium', 'High'] as const;

/** The scan's raised alerts: findings a suppression kept back (status `suppressed`) were never raised. */
const RAISED_SYSTEM = "al.flagged_by = 'system' AND al.status <> 'suppressed'";

/** Findings kept as suppressed, the transactions they are on, and how many of those are labelled suspicious. */
async function suppressedFindings(): Promise<Evaluation['suppressed']> {
  const [row] = await query<{ findings: number; transactions: number; suspicious: number }>(
    `SELECT COUNT(*) AS findings, COUNT(DISTINCT al.transaction_id) AS transactions,
       COUNT(DISTINCT CASE WHEN EXISTS (SELECT 1 FROM anomaly_labels l WHERE l.transaction_id = al.transaction_id
         AND l.suspicious = 1) THEN al.transaction_id END) AS suspicious
     FROM alerts al WHERE al.status = 'suppressed'`,
  );
  return {
    findings: Number(row?.findings ?? 0),
    transactions: Number(row?.transactions ?? 0),
    suspicious: Number(row?.suspicious ?? 0),
  };
}

/** One kind's labelled transactions: highest level per episode, per (episode, client) and per transaction. */
interface KindRows {
  /** Some row says suspicious = 1 (decides for kinds outside ANOMALY_KINDS / DECOY_KINDS). */
  flagged: boolean;
  episodes: Map<string, number>;
  clients: Map<string, number>;
  levels: number[];
}

const ratio = (n: number, d: number) => (d === 0 ? Number.NaN : n / d);
const atLeast = (levels: Iterable<number>, min: number) => [...levels].filter((l) => l >= min).length;

/** Whether a kind is suspicious: by the known lists, else by what its rows say. */
function isSuspicious(kind: string, flagged: boolean): boolean {
  if ((ANOMALY_KINDS as readonly string[]).includes(kind)) return true;
  if ((DECOY_KINDS as readonly string[]).includes(kind)) return false;
  return flagged;
}

function kindQuality(kind: string, k: KindRows): KindQuality {
  return {
    kind,
    suspicious: isSuspicious(kind, k.flagged),
    episodes: k.episodes.size,
    transactions: k.levels.length,
    episodeRecall: ratio(atLeast(k.episodes.values(), 2), k.episodes.size),
    episodeHighRecall: ratio(atLeast(k.episodes.values(), 3), k.episodes.size),
    clients: k.clients.size,
    clientRecall: ratio(atLeast(k.clients.values(), 2), k.clients.size),
    clientHighRecall: ratio(atLeast(k.clients.values(), 3), k.clients.size),
    transactionRecall: ratio(atLeast(k.levels, 2), k.levels.length),
    highRecall: ratio(atLeast(k.levels, 3), k.levels.length),
    anyRecall: ratio(atLeast(k.levels, 1), k.levels.length),
    maxRisk: LEVELS[Math.max(0, ...k.levels)] ?? 'none',
    aboveLow: atLeast(k.levels, 2),
    episodesAboveLow: atLeast(k.episodes.values(), 2),
  };
}

export async function evaluateDetection(): Promise<Evaluation> {
  const [table] = await query<{ n: number }>(
    `SELECT COUNT(*) AS n FROM information_schema.tables
      WHERE table_schema = DATABASE() AND table_name = 'anomaly_labels'`,
  );
  if (!Number(table?.n)) {
    throw new ValidationError(
      'no anomaly_labels table here: seed a bank first (npm run seed) to evaluate against',
    );
  }
  const levelSql = `COALESCE((SELECT MAX(FIELD(al.risk_level, 'Low', 'Medium', 'High')) FROM alerts al
      WHERE al.transaction_id = l.transaction_id AND ${RAISED_SYSTEM}), 0)`;
  const labelled = await query<{
    kind: string;
    suspicious: number;
    episode_id: string | number;
    client_id: string | number | null;
    level: number;
  }>(
    `SELECT l.kind, l.suspicious, l.episode_id, a.client_id, ${levelSql} AS level FROM anomaly_labels l
       LEFT JOIN transactions t ON t.id = l.transaction_id LEFT JOIN accounts a ON a.id = t.account_id`,
  );
  const kinds = new Map<string, KindRows>();
  for (const row of labelled) {
    let k = kinds.get(row.kind);
    if (!k) {
      k = { flagged: false, episodes: new Map(), clients: new Map(), levels: [] };
      kinds.set(row.kind, k);
    }
    if (Number(row.suspicious) === 1) k.flagged = true;
    const level = Number(row.level);
    const episode = String(row.episode_id);
    const client = `${episode}/${String(row.client_id)}`;
    k.episodes.set(episode, Math.max(k.episodes.get(episode) ?? 0, level));
    k.clients.set(client, Math.max(k.clients.get(client) ?? 0, level));
    k.levels.push(level);
  }
  const order = [...ANOMALY_KINDS, ...DECOY_KINDS] as string[];
  const rank = (kind: string) => order.indexOf(kind) + 1 || order.length + 1;
  const names = [...kinds.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const result = names.map((kind) => kindQuality(kind, kinds.get(kind) as KindRows));
  const flagged = await query<{ level: number; suspicious: number | null }>(
    `SELECT MAX(FIELD(al.risk_level, 'Low', 'Medium', 'High')) AS level,
       (SELECT MAX(l.suspicious) FROM anomaly_labels l WHERE l.transaction_id = al.transaction_id) AS suspicious
     FROM alerts al WHERE ${RAISED_SYSTEM} GROUP BY al.transaction_id`,
  );
  const precisionAt = (min: number) => {
    const rows = flagged.filter((r) => Number(r.level) >= min);
    const suspicious = rows.filter((r) => Number(r.suspicious) === 1).length;
    return { transactions: rows.length, suspicious, precision: ratio(suspicious, rows.length) };
  };
  const clients = await query<{ suspicious: number }>(
    `SELECT MAX(COALESCE(l.suspicious, 0)) AS suspicious FROM (
         SELECT DISTINCT a.client_id FROM alerts al JOIN transactions t ON t.id = al.transaction_id
           JOIN accounts a ON a.id = t.account_id
          WHERE ${RAISED_SYSTEM} AND al.risk_level IN ('Medium', 'High')) flagged
       JOIN accounts a ON a.client_id = flagged.client_id JOIN transactions t ON t.account_id = a.id
       LEFT JOIN anomaly_labels l ON l.transaction_id = t.id
      GROUP BY flagged.client_id`,
  );
  const suspiciousClients = clients.filter((c) => Number(c.suspicious) === 1).length;
  const [total] = await query<{ n: number }>('SELECT COUNT(*) AS n FROM transactions');
  const totalTransactions = Number(total?.n ?? 0);
  const perThousand = (level: number) =>
    (flagged.filter((r) => Number(r.level) === level).length * 1000) / Math.max(1, totalTransactions);
  return {
    kinds: result,
    high: precisionAt(3),
    mediumOrAbove: precisionAt(2),
    mediumOrAboveClients: {
      clients: clients.length,
      suspicious: suspiciousClients,
      precision: ratio(suspiciousClients, clients.length),
    },
    alertedTransactions: flagged.length,
    totalTransactions,
    perThousand: { Low: perThousand(1), Medium: perThousand(2), High: perThousand(3) },
    suppressed: await suppressedFindings(),
  };
}

const pct = (x: number) => (Number.isNaN(x) ? '   n/a' : `${(x * 100).toFixed(1).padStart(5)}%`);

/** The evaluation as a text table (the CLI prints this; docs/detection.md quotes it). */
export function formatEvaluation(e: Evaluation): string {
  const lines: string[] = [];
  lines.push(
    '| kind | episodes | clients | txns | recall ≥Medium: episode | client | txn | recall High: episode | client | txn | any alert | max risk | above Low: episodes | txns |',
  );
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|');
  for (const k of e.kinds) {
    lines.push(
      `| ${k.kind}${k.suspicious ? '' : ' (decoy)'} | ${k.episodes} | ${k.clients} | ${k.transactions} | ${pct(k.episodeRecall)} | ${pct(k.clientRecall)} | ${pct(k.transactionRecall)} | ${pct(k.episodeHighRecall)} | ${pct(k.clientHighRecall)} | ${pct(k.highRecall)} | ${pct(k.anyRecall)} | ${k.maxRisk} | ${k.episodesAboveLow} | ${k.aboveLow} |`,
    );
  }
  lines.push('');
  lines.push(
    `High-risk transactions: ${e.high.transactions}, labelled suspicious: ${e.high.suspicious}, precision ${pct(e.high.precision).trim()}`,
  );
  lines.push(
    `Medium-or-above transactions: ${e.mediumOrAbove.transactions}, labelled suspicious: ${e.mediumOrAbove.suspicious}, precision ${pct(e.mediumOrAbove.precision).trim()}`,
  );
  lines.push(
    `Clients with a Medium-or-above transaction: ${e.mediumOrAboveClients.clients}, in a suspicious episode: ${e.mediumOrAboveClients.suspicious}, precision ${pct(e.mediumOrAboveClients.precision).trim()}`,
  );
  const decoys = e.kinds.filter((k) => !k.suspicious);
  if (decoys.length) {
    lines.push(
      `Decoy episodes above Low: ${decoys.reduce((s, k) => s + k.episodesAboveLow, 0)} of ${decoys.reduce((s, k) => s + k.episodes, 0)}, transactions above Low: ${decoys.reduce((s, k) => s + k.aboveLow, 0)} (max risk: ${decoys.map((k) => `${k.kind} ${k.maxRisk}`).join(', ')})`,
    );
  }
  lines.push(`Transactions with any system alert: ${e.alertedTransactions}`);
  const rate = (x: number) => x.toFixed(1);
  lines.push(
    `Alerted transactions per 1 000 (by highest system alert), of ${e.totalTransactions}: Low ${rate(e.perThousand.Low)}, Medium ${rate(e.perThousand.Medium)}, High ${rate(e.perThousand.High)}`,
  );
  const h = e.suppressed;
  lines.push(
    `Findings suppressed (not counted above): ${h.findings} on ${h.transactions} transactions, labelled suspicious: ${h.suspicious}`,
  );
  return lines.join('\n');
}
