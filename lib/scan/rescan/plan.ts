/**
 * A rescan's plan, as pure arithmetic (the queries that feed it are in prepare.ts): the transaction id slices the
 * amount histogram is counted in, and the client partitions the clients are judged in — each a range (after, upTo]
 * of ids, about equal in size, none empty.
 */

/** A range of ids: after < id ≤ upTo. */
export interface IdRange {
  after: number;
  upTo: number;
}

/** Partitions a rescan may have: each is a Map item of the state machine and a row of scan_rescan_parts. */
export const MAX_PARTITIONS = 1_000;

/**
 * `parts` ranges of about equal width covering (0, maxId] — fewer when there are fewer ids than parts, so none is
 * empty; a table without transactions (maxId 0) gets the one range (0, 0].
 *
 * @example splitIdRange(10, 3) // [{after: 0, upTo: 4}, {after: 4, upTo: 7}, {after: 7, upTo: 10}]
 */
export function splitIdRange(maxId: number, parts: number): IdRange[] {
  const n = Math.max(1, Math.min(parts, maxId));
  const ranges: IdRange[] = [];
  let after = 0;
  for (let i = 1; i <= n; i++) {
    const upTo = Math.ceil((maxId * i) / n);
    ranges.push({ after, upTo });
    after = upTo;
  }
  return ranges;
}

/**
 * The ranks (0-based, in id order) of the last client of each of `parts` partitions of `count` clients, about
 * equal in clients — fewer partitions when there are fewer clients; none for none.
 *
 * @example partitionEnds(10, 3) // [3, 6, 9]: clients 0–3, 4–6, 7–9
 */
export function partitionEnds(count: number, parts: number): number[] {
  const n = Math.min(parts, count);
  const ends: number[] = [];
  for (let i = 1; i <= n; i++) ends.push(Math.ceil((count * i) / n) - 1);
  return ends;
}

/** Client id ranges from the ids of each partition's last client (ascending): (the previous one, this one]. */
export function rangesFromEnds(endIds: readonly number[]): IdRange[] {
  return endIds.map((upTo, i) => ({ after: i === 0 ? 0 : (endIds[i - 1] as number), upTo }));
}
