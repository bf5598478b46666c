/**
 * The suppressions a scan honours: those active when the run starts (not revoked, not past their date), read once per
 * run into a map keyed by client, so judging a finding costs one map look-up — none at all for the clients (nearly
 * all) without a suppression. A finding is covered when a suppression names its rule and its transaction's client
 * and, if narrowed, the transaction's counterparty account (recipient_account) or that account's country.
 */
import { type Queryable, query } from '../db/pool.js';
import { recipientKey } from '../rules/stats.js';

/** One active suppression as the scan matches it. */
export interface ActiveSuppression {
  id: number;
  ruleId: string;
  /** The counterparty IBAN (normalised), and its hash as the full scan keeps recipients; null: any. */
  counterparty: string | null;
  counterpartyKey: number | undefined;
  /** The counterparty account's country; null: any. */
  country: string | null;
}

/** What a finding's transaction says about its counterparty (as lib/rules/types.ts Txn carries it). */
export interface Counterparty {
  recipient: string | null;
  recipientKey?: number | undefined;
  recipientCountry: string | null;
}

/** A suppression row: its id, client, rule and narrowing. */
export type SuppressionRow = {
  id: number;
  client_id: number;
  rule_id: string;
  counterparty: string | null;
  country: string | null;
};

/**
 * The suppression of `list` (one client's) that covers a finding of `ruleId` on a transaction with `tx`'s
 * counterparty: its id, or undefined. A narrowed suppression needs the transaction to tell (no `tx`: no match).
 *
 * @example coveringSuppression(list, 'high-amount', { recipient: 'DE89…', recipientCountry: 'DE' }) // 12
 */
export function coveringSuppression(
  list: readonly ActiveSuppression[],
  ruleId: string,
  tx: Counterparty | undefined,
): number | undefined {
  for (const s of list) {
    if (s.ruleId !== ruleId) continue;
    if (s.counterparty !== null) {
      if (!tx) continue;
      const same =
        tx.recipient !== null ? tx.recipient === s.counterparty : tx.recipientKey === s.counterpartyKey;
      if (!same) continue;
    }
    if (s.country !== null && tx?.recipientCountry !== s.country) continue;
    return s.id;
  }
  return undefined;
}

/** The active suppressions of a run, by client. */
export class ActiveSuppressions {
  private readonly byClient = new Map<number, ActiveSuppression[]>();

  /** From rows (oldest first: the oldest covering suppression is the one named). */
  constructor(rows: readonly SuppressionRow[] = []) {
    for (const r of rows) {
      const counterparty = r.counterparty ?? null;
      const entry: ActiveSuppression = {
        id: Number(r.id),
        ruleId: String(r.rule_id),
        counterparty,
        counterpartyKey: counterparty === null ? undefined : recipientKey(counterparty),
        country: r.country ?? null,
      };
      const list = this.byClient.get(Number(r.client_id));
      if (list) list.push(entry);
      else this.byClient.set(Number(r.client_id), [entry]);
    }
  }

  /**
   * The suppressions active now (the database's clock), or at `at` ('YYYY-MM-DD HH:MM:SS[.fff]', the database's
   * time zone: a rescan's parts judge with those of its start), read once.
   */
  static async load(db?: Queryable, at?: string): Promise<ActiveSuppressions> {
    const rows = await query<SuppressionRow>(
      `SELECT id, client_id, rule_id, counterparty, country FROM suppressions
       WHERE revoked_at IS NULL AND expires_at > NOW() AND ? IS NULL
          OR created_at <= ? AND (revoked_at IS NULL OR revoked_at > ?) AND expires_at > ?
       ORDER BY id`,
      [at ?? null, at ?? null, at ?? null, at ?? null],
      db,
    );
    return new ActiveSuppressions(rows);
  }

  /** How many clients have one. */
  get clients(): number {
    return this.byClient.size;
  }

  /** The client's active suppressions, or undefined when it has none (the common case). */
  forClient(clientId: number): readonly ActiveSuppression[] | undefined {
    return this.byClient.get(clientId);
  }

  /** The id of the suppression covering a finding of `ruleId` for `clientId` on a transaction like `tx`, if any. */
  covering(clientId: number, ruleId: string, tx: Counterparty | undefined): number | undefined {
    const list = this.byClient.get(clientId);
    return list ? coveringSuppression(list, ruleId, tx) : undefined;
  }
}
