/**
 * Judging an incremental chunk, inside the chunk's DB transaction: each client's new rows are fed through its
 * detector — restored from its saved state as the state arrives, started from an empty memory when it has none, or
 * replayed from its history — every episode still open is emitted as it stands, and the state is saved. The alerts
 * of new transactions go into the transaction slice by slice while the next clients are judged; findings on
 * transactions of an earlier chunk (the first transfers of a burst the new rows complete) are scored at the end,
 * together with the alerts those transactions already have.
 */
import type { PoolConnection } from 'mysql2/promise';
import { logger } from '../log.js';
import type { RulesConfig } from '../rules/config.js';
import { ClientDetector, historyDays, type Settled } from '../rules/engine.js';
import { DAY } from '../rules/stats.js';
import type { RuleContext, Txn } from '../rules/types.js';
import type { ActiveSuppression, ActiveSuppressions } from '../suppressions/active.js';
import {
  AlertBatch,
  type AlertCounts,
  addCounts,
  addSettledAlerts,
  emptyCounts,
  writeAlertBatch,
  writeScoredFindings,
} from './alerts.js';
import {
  formatDateTime,
  loadAccountHistory,
  loadAccountsOf,
  type ScanAccount,
  sortByTime,
  type TypeInfo,
} from './source.js';
import type { ChunkStates } from './state.js';
import type { Lap } from './stopwatch.js';
import type { StateSlices } from './write-queue.js';

/** Alerts of new transactions per write (written while the next clients are judged). */
const ALERT_SLICE = 500;

/** A client an incremental chunk touches: its accounts and its new transactions (in booking order). */
export interface ChunkClient {
  accounts: ScanAccount[];
  txns: Txn[];
}

/** A chunk's clients by client id, and the same clients by account id. */
export interface ChunkClients {
  clients: Map<number, ChunkClient>;
  clientOf: Map<number, ChunkClient>;
}

/** The chunk's new rows (in booking order) grouped by client, from the accounts they belong to. */
export function groupByClient(accounts: readonly ScanAccount[], txns: readonly Txn[]): ChunkClients {
  const clients = new Map<number, ChunkClient>();
  const clientOf = new Map<number, ChunkClient>();
  for (const a of accounts) {
    let c = clients.get(a.clientId);
    if (!c) {
      c = { accounts: [], txns: [] };
      clients.set(a.clientId, c);
    }
    c.accounts.push(a);
    clientOf.set(a.id, c);
  }
  for (const t of txns) clientOf.get(t.accountId)?.txns.push(t);
  return { clients, clientOf };
}

/** What judging a chunk needs besides its clients. */
export interface ChunkJudging {
  runId: number;
  rules: RulesConfig;
  types: ReadonlyMap<number, TypeInfo>;
  ctx: RuleContext;
  /** The id the chunk starts above: a transaction with a higher id is new. */
  from: number;
  lap: Lap;
  /** Active suppressions: the findings they cover are kept as suppressed. */
  suppressions: ActiveSuppressions;
}

/** Let the writes go out (LOAD DATA LOCAL streams its rows when the server asks) before judging on. */
const yieldToWrites = () => new Promise((resolve) => setImmediate(resolve));

/**
 * One attempt at judging a chunk on `conn`, the chunk's transaction (a deadlock retried makes another): its
 * alerts' counts, and the writes of the alerts of new transactions. Each detector dies young.
 */
export class ChunkJudge {
  readonly created = emptyCounts();
  /** New transactions' settled findings, each with its client's active suppressions (usually none). */
  private fresh: Array<[Settled, readonly ActiveSuppression[] | undefined]> = [];
  /** Alerts of earlier transactions whose risk the chunk's findings raised. */
  readonly raised: number[] = [];
  private readonly older: Settled[] = [];
  private settled = 0;
  private alertWrites: Promise<void> = Promise.resolve();

  constructor(
    private readonly conn: PoolConnection,
    private readonly job: ChunkJudging,
    private readonly chunk: ChunkClients,
    private readonly states: StateSlices,
  ) {}

  /**
   * Judges every client of the chunk — as their states arrive, then the clients without one, then those replayed —
   * and writes its alerts; resolves with what it created. The states are sent (not necessarily written).
   */
  async judgeAll(arriving: ChunkStates): Promise<AlertCounts> {
    const { lap } = this.job;
    try {
      const replayed = await this.judgeArriving(arriving);
      lap('judged as their states arrived', { states: arriving.states.size });
      await this.judgeStateless(arriving);
      if (replayed.size) await this.judgeReplayed(replayed);
      this.states.flush();
      if (this.fresh.length) this.writeFresh();
      lap('judge', { settled: this.settled });
      await this.writeOlder();
      lap('alerts', { alerts: this.created.created });
    } catch (error) {
      // Nothing may still be writing on the connection when the transaction rolls back.
      await this.alertWrites.catch(() => undefined);
      throw error;
    }
    return this.created;
  }

  /**
   * Judges the clients whose state is trusted as their states arrive; resolves with those to replay (client id →
   * its earliest new booking). A client is replayed — its history within the rules' reach read again and judged in
   * booking order with the new rows — when a new transaction was booked before the latest one its state has seen
   * (a late booking), when its state has seen transactions beyond the watermark (left by a full scan or a chunk that
   * stopped half-way), or when its state is of another format.
   */
  private async judgeArriving(arriving: ChunkStates): Promise<Map<number, number>> {
    const replayed = new Map<number, number>();
    for await (const clientId of arriving.clients()) {
      const c = this.chunk.clients.get(clientId);
      const first = c?.txns[0];
      if (!c || !first) continue;
      const state = arriving.states.get(clientId);
      if (!state || state.asOf > this.job.from || first.time < state.latest)
        replayed.set(clientId, first.time);
      else if (this.judgeClient(clientId, c, state.saved)) await yieldToWrites();
    }
    return replayed;
  }

  /**
   * Judges the clients without a state: none of their transactions was judged before these (every client judged
   * gets one, written before the watermark moves), so each starts from an empty memory.
   */
  private async judgeStateless(arriving: ChunkStates): Promise<void> {
    for (const [clientId, c] of this.chunk.clients) {
      if (c.txns.length === 0 || arriving.states.has(clientId) || arriving.outdated.has(clientId)) continue;
      if (this.judgeClient(clientId, c)) await yieldToWrites();
    }
  }

  private async judgeReplayed(replayed: ReadonlyMap<number, number>): Promise<void> {
    const { runId, rules, types, from } = this.job;
    const history = await replayHistory(replayed, this.chunk, from, rules, types);
    logger.info('replayed clients', { runId, clients: replayed.size, history: history.rows });
    for (const clientId of replayed.keys()) {
      const c = this.chunk.clients.get(clientId) as ChunkClient;
      if (this.judgeClient(clientId, c, undefined, history.byClient.get(clientId) ?? []))
        await yieldToWrites();
    }
  }

  /**
   * Restores a client's detector (or starts an empty one), feeds its new rows (after its history when replayed),
   * emits what is still open as it stands, settles everything and saves it; true when a slice of states or alerts
   * went out (the caller then lets the writes go out).
   */
  private judgeClient(clientId: number, c: ChunkClient, state?: Buffer, past?: Txn[]): boolean {
    const { rules, ctx, from } = this.job;
    const first = c.accounts[0] as ScanAccount;
    const d = state
      ? ClientDetector.restore(clientId, first.clientCountry, rules, ctx, state)
      : new ClientDetector(clientId, first.clientCountry, rules, ctx);
    for (const a of c.accounts) d.describeAccount(a);
    const feed = past ? sortByTime([...past, ...c.txns]) : c.txns;
    const suppressed = this.job.suppressions.forClient(clientId);
    for (const s of d.judge(feed)) {
      this.settled++;
      if (s.id > from) this.fresh.push([s, suppressed]);
      else {
        // Findings that only concern transactions judged before (a replayed history) were raised then.
        const findings = s.findings.filter((f) => f.related.some((id) => id > from));
        if (findings.length) this.older.push({ ...s, findings });
      }
    }
    const statesDue = this.states.add(clientId, d.save());
    const alertsDue = this.fresh.length >= ALERT_SLICE;
    if (alertsDue) this.writeFresh();
    return statesDue || alertsDue;
  }

  /**
   * Alerts of new transactions go straight into LOAD DATA bytes, with no look-up of existing ones first: a chunk's
   * alerts commit with its watermark, so only a full scan that stopped before its last commit can have left some
   * above it — IGNORE skips those, and the counts are then re-read (writeAlertBatch).
   */
  private writeFresh(): void {
    const { rules, runId } = this.job;
    const batch = new AlertBatch(256 * 1024);
    for (const [s, suppressed] of this.fresh) addSettledAlerts(batch, s, rules, runId, undefined, suppressed);
    this.fresh = [];
    this.alertWrites = this.alertWrites.then(async () =>
      addCounts(this.created, await writeAlertBatch(this.conn, batch, runId)),
    );
    this.alertWrites.catch(() => undefined);
  }

  /** Scores the findings on earlier transactions with the alerts those have, and writes the new ones. */
  private async writeOlder(): Promise<void> {
    const { rules, runId, suppressions } = this.job;
    await this.alertWrites;
    const written = await writeScoredFindings(this.conn, this.older, rules, runId, suppressions);
    addCounts(this.created, written);
    this.raised.push(...written.raised);
  }
}

/** The smallest of `values` (no spread: a chunk may replay tens of thousands of clients). */
function earliestOf(values: Iterable<number>): number {
  let earliest = Number.POSITIVE_INFINITY;
  for (const v of values) if (v < earliest) earliest = v;
  return earliest;
}

/**
 * The history of the clients to replay (client id → its earliest new booking), within the rules' reach and below
 * the chunk (id ≤ `from`), per client; every account of theirs joins the chunk's clients first, since their history
 * may be on accounts without a new row.
 */
async function replayHistory(
  replayed: ReadonlyMap<number, number>,
  { clients, clientOf }: ChunkClients,
  from: number,
  rules: RulesConfig,
  types: ReadonlyMap<number, TypeInfo>,
): Promise<{ byClient: Map<number, Txn[]>; rows: number }> {
  const all = await loadAccountsOf([...replayed.keys()]);
  for (const a of all) {
    const c = clients.get(a.clientId);
    if (c && !clientOf.has(a.id)) {
      c.accounts.push(a);
      clientOf.set(a.id, c);
    }
  }
  const rows = await loadAccountHistory(
    all.map((a) => a.id),
    from,
    formatDateTime(earliestOf(replayed.values()) - historyDays(rules) * DAY),
    types,
  );
  const byClient = new Map<number, Txn[]>();
  for (const t of rows) {
    const clientId = clientOf.get(t.accountId)?.accounts[0]?.clientId;
    if (clientId === undefined) continue;
    const list = byClient.get(clientId);
    if (list) list.push(t);
    else byClient.set(clientId, [t]);
  }
  return { byClient, rows: rows.length };
}
