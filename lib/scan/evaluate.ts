/**
 * Detection quality against the seeder's ground truth (table anomaly_labels: transaction_id, episode_id, kind,
 * suspicious). Only this module reads that table — the detector never does.
 *
 * A transaction's level is the highest risk_level of its system alerts. Per injected kind: recall of episodes (an
 * episode counts as caught when at least one of its transactions is at Medium or above — the analyst is led to the
 * episode) and of transactions (every labelled transaction at Medium or above). Precision of High: of all
 * transactions with a High alert, the share labelled suspicious. Decoys: their highest level (target: Low).
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
  /** Labelled transactions at ≥ Medium / labelled transactions. */
  transactionRecall: number;
  /** Labelled transactions at High / labelled transactions. */
  highRecall: number;
  /** Labelled transactions with any alert / labelled transactions. */
  anyRecall: number;
  maxRisk: 'none' | 'Low' | 'Medium' | 'High';
  /** Decoys: transactions above Low. */
  aboveLow: number;
}

export interface Evaluation {
  kinds: KindQuality[];
  high: { transactions: number; suspicious: number; precision: number };
  mediumOrAbove: { transactions: number; suspicious: number; precision: number };
  alertedTransactions: number;
}

const LEVELS = ['none', 'Low', 'Medium', 'High'] as const;

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
      WHERE al.transaction_id = l.transaction_id AND al.flagged_by = 'system'), 0)`;
  const labelled = await query<{
    kind: string;
    suspicious: number;
    episode_id: string | number;
    level: number;
  }>(`SELECT l.kind, l.suspicious, l.episode_id, ${levelSql} AS level FROM anomaly_labels l`);
  const kinds = new Map<string, { suspicious: boolean; episodes: Map<string, number>; levels: number[] }>();
  for (const row of labelled) {
    let k = kinds.get(row.kind);
    if (!k) {
      k = { suspicious: Number(row.suspicious) === 1, episodes: new Map(), levels: [] };
      kinds.set(row.kind, k);
    }
    const level = Number(row.level);
    const episode = String(row.episode_id);
    k.episodes.set(episode, Math.max(k.episodes.get(episode) ?? 0, level));
    k.levels.push(level);
  }
  const order = [...ANOMALY_KINDS, ...DECOY_KINDS] as string[];
  const names = [...kinds.keys()].sort((a, b) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99));
  const ratio = (n: number, d: number) => (d === 0 ? Number.NaN : n / d);
  const result: KindQuality[] = names.map((kind) => {
    const k = kinds.get(kind) as { suspicious: boolean; episodes: Map<string, number>; levels: number[] };
    const episodes = [...k.episodes.values()];
    return {
      kind,
      suspicious: k.suspicious,
      episodes: episodes.length,
      transactions: k.levels.length,
      episodeRecall: ratio(episodes.filter((l) => l >= 2).length, episodes.length),
      transactionRecall: ratio(k.levels.filter((l) => l >= 2).length, k.levels.length),
      highRecall: ratio(k.levels.filter((l) => l >= 3).length, k.levels.length),
      anyRecall: ratio(k.levels.filter((l) => l >= 1).length, k.levels.length),
      maxRisk: LEVELS[Math.max(0, ...k.levels)] ?? 'none',
      aboveLow: k.levels.filter((l) => l >= 2).length,
    };
  });
  const flagged = await query<{ level: number; suspicious: number | null }>(
    `SELECT MAX(FIELD(al.risk_level, 'Low', 'Medium', 'High')) AS level,
       (SELECT MAX(l.suspicious) FROM anomaly_labels l WHERE l.transaction_id = al.transaction_id) AS suspicious
     FROM alerts al WHERE al.flagged_by = 'system' GROUP BY al.transaction_id`,
  );
  const precisionAt = (min: number) => {
    const rows = flagged.filter((r) => Number(r.level) >= min);
    const suspicious = rows.filter((r) => Number(r.suspicious) === 1).length;
    return { transactions: rows.length, suspicious, precision: ratio(suspicious, rows.length) };
  };
  return {
    kinds: result,
    high: precisionAt(3),
    mediumOrAbove: precisionAt(2),
    alertedTransactions: flagged.length,
  };
}

const pct = (x: number) => (Number.isNaN(x) ? '   n/a' : `${(x * 100).toFixed(1).padStart(5)}%`);

/** The evaluation as a text table (the CLI prints this; docs/detection.md quotes it). */
export function formatEvaluation(e: Evaluation): string {
  const lines: string[] = [];
  lines.push(
    `| kind | episodes | txns | episode recall ≥Medium | txn recall ≥Medium | txn recall High | any alert | max risk |`,
  );
  lines.push('|---|---:|---:|---:|---:|---:|---:|---|');
  for (const k of e.kinds) {
    lines.push(
      `| ${k.kind}${k.suspicious ? '' : ' (decoy)'} | ${k.episodes} | ${k.transactions} | ${pct(k.episodeRecall)} | ${pct(k.transactionRecall)} | ${pct(k.highRecall)} | ${pct(k.anyRecall)} | ${k.maxRisk} |`,
    );
  }
  lines.push('');
  lines.push(
    `High-risk transactions: ${e.high.transactions}, labelled suspicious: ${e.high.suspicious}, precision ${pct(e.high.precision).trim()}`,
  );
  lines.push(
    `Medium-or-above transactions: ${e.mediumOrAbove.transactions}, labelled suspicious: ${e.mediumOrAbove.suspicious}, precision ${pct(e.mediumOrAbove.precision).trim()}`,
  );
  const decoys = e.kinds.filter((k) => !k.suspicious);
  if (decoys.length) {
    lines.push(
      `Decoys above Low: ${decoys.reduce((s, k) => s + k.aboveLow, 0)} (max risk: ${decoys.map((k) => `${k.kind} ${k.maxRisk}`).join(', ')})`,
    );
  }
  lines.push(`Transactions with any system alert: ${e.alertedTransactions}`);
  return lines.join('\n');
}
