/**
 * The anomaly_labels rows of a seed, kept while the transactions are generated and loaded after them: one
 * transaction id and one episode per row, in typed arrays that grow by doubling (16 bytes a label), the episode's
 * kind and note looked up when the rows are written. Label rows as arrays of cells cost about 100 bytes each on the
 * JS heap, and the garbage collector lets that heap grow to a multiple of what it keeps alive.
 */
import { ANOMALY_KINDS } from '../domain/bank.js';
import type { Episode } from './episodes.js';
import type { Row } from './rows.js';

const FIRST_CAPACITY = 1_024;

export class LabelLog {
  private transactionIds: Float64Array = new Float64Array(FIRST_CAPACITY);
  private episodeIds: Float64Array = new Float64Array(FIRST_CAPACITY);
  private readonly episodes = new Map<number, Episode>();
  length = 0;

  /** Labels transaction `transactionId` as a row of `episode`. */
  add(transactionId: number, episode: Episode): void {
    if (this.length === this.transactionIds.length) {
      this.transactionIds = grown(this.transactionIds);
      this.episodeIds = grown(this.episodeIds);
    }
    this.transactionIds[this.length] = transactionId;
    this.episodeIds[this.length] = episode.id;
    this.length++;
    if (!this.episodes.has(episode.id)) this.episodes.set(episode.id, episode);
  }

  /** The rows in the order they were labelled (columns: LABEL_COLUMNS), numbered from `firstId` when given. */
  *rows(firstId?: number): Generator<Row> {
    for (let i = 0; i < this.length; i++) {
      const episode = this.episodes.get(this.episodeIds[i] as number) as Episode;
      const row: Row = [
        this.transactionIds[i] as number,
        episode.id,
        episode.kind,
        (ANOMALY_KINDS as readonly string[]).includes(episode.kind) ? 1 : 0,
        episode.note,
      ];
      yield firstId === undefined ? row : [firstId + i, ...row];
    }
  }
}

function grown(array: Float64Array): Float64Array {
  const next = new Float64Array(array.length * 2);
  next.set(array);
  return next;
}
