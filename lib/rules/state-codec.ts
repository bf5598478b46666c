/**
 * The saved detection state (scan_client_state.state, one per client) and its encoding: a stream of doubles in the
 * platform's byte order (numbers as they are, short ASCII codes as a length and their char codes, absent values as
 * NaN), stored as a BLOB. Every Lambda and Node platform in use is little-endian; a state moved to a big-endian one
 * reads as another version, and its client is replayed from its history. An incremental scan decodes one per client
 * it touches and encodes it again: no JSON to parse or print, no object graph in between.
 *
 * Layout (written by ClientDetector.save in engine.ts, read by ClientDetector.restore):
 *
 *   version         STATE_VERSION (engine.ts): changes with the format and with the registry's list of rules
 *   latest          the latest booking time the client's detector has seen (ms)
 *   accounts        count; each: id, then a bit per part present (the account's debit samples, one per distinct
 *                   DebitHistory, then each account-scoped rule's memory, in registry order), then those parts — a
 *                   sample as its size, horizon in days, count and (time, value) pairs (RollingSample.saveTo)
 *   client          a bit per client-scoped rule whose memory is not empty (registry order), then those memories
 *
 * Each rule writes its own memory (Rule.save) with the helpers below for the transactions an open window or
 * episode keeps: id, time, amount, balance after (or NaN), recipient key (or NaN), currency — never an IBAN.
 */
import { endianness } from 'node:os';
import type { EpisodeWindow } from './stats.js';
import type { EpisodeTxn } from './types.js';

/** Builds one state at a time (the engine is synchronous: one writer, reset per state, serves every client). */
export class StateWriter {
  private values = new Float64Array(512);
  /** The same memory as bytes, for copying out. */
  private bytes = Buffer.from(this.values.buffer);
  private length = 0;

  reset(): this {
    this.length = 0;
    return this;
  }

  put(value: number): void {
    if (this.length === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
      this.bytes = Buffer.from(bigger.buffer);
    }
    this.values[this.length++] = value;
  }

  /** A nullable number (null is written as NaN). */
  putMaybe(value: number | null | undefined): void {
    this.put(value ?? Number.NaN);
  }

  /** A short code (a currency or a country): its length, then each char code. */
  putCode(code: string): void {
    this.put(code.length);
    for (let i = 0; i < code.length; i++) this.put(code.charCodeAt(i));
  }

  /** The state written since `reset`, as a buffer of its own. */
  toBuffer(): Buffer {
    const out = Buffer.allocUnsafe(this.length * 8);
    this.bytes.copy(out, 0, 0, this.length * 8);
    return out;
  }

  /** The state written since `reset`, as base64 (for a LOAD DATA file). */
  toBase64(): string {
    return this.bytes.toString('base64', 0, this.length * 8);
  }
}

/**
 * Reads a state StateWriter wrote; running past its end or a malformed value throws. The bytes are copied into
 * scratch memory shared by every reader (doubles need alignment, which a row's bytes inside the driver's packet
 * buffer do not have), so a reader is good until the next one is made — as the synchronous engine uses them.
 */
export class StateReader {
  private static values = new Float64Array(1024);
  private static bytes = Buffer.from(StateReader.values.buffer);
  private readonly values: Float64Array;
  private readonly length: number;
  private index = 0;

  constructor(bytes: Uint8Array) {
    if (bytes.byteLength % 8 !== 0) throw new Error('saved scan state is not a whole number of values');
    if (bytes.byteLength > StateReader.bytes.length) {
      StateReader.values = new Float64Array(bytes.byteLength / 4);
      StateReader.bytes = Buffer.from(StateReader.values.buffer);
    }
    StateReader.bytes.set(bytes);
    this.values = StateReader.values;
    this.length = bytes.byteLength / 8;
  }

  get done(): boolean {
    return this.index >= this.length;
  }

  next(): number {
    if (this.index >= this.length) throw new Error('saved scan state ends too early');
    return this.values[this.index++] as number;
  }

  /** A count: a whole number from 0 to `max`. */
  count(max = 1_000_000): number {
    const n = this.next();
    if (!Number.isInteger(n) || n < 0 || n > max) throw new Error(`saved scan state has a bad count (${n})`);
    return n;
  }

  maybe(): number | null {
    const value = this.next();
    return Number.isNaN(value) ? null : value;
  }

  code(): string {
    const n = this.count(16);
    let code = '';
    for (let i = 0; i < n; i++) code += String.fromCharCode(this.next());
    return code;
  }
}

const LITTLE_ENDIAN = endianness() === 'LE';

/** The first two values of a saved state (its version and latest booking time), read off its head only. */
export function readStateHead(bytes: Buffer): { version: number; latest: number } | undefined {
  // A state of the JSON era begins with '{'.
  if (bytes.length < 16 || bytes[0] === 0x7b) return undefined;
  // Read in place, in the platform's byte order (as StateWriter wrote it): no copy for a state's head.
  const version = LITTLE_ENDIAN ? bytes.readDoubleLE(0) : bytes.readDoubleBE(0);
  const latest = LITTLE_ENDIAN ? bytes.readDoubleLE(8) : bytes.readDoubleBE(8);
  return Number.isInteger(version) && Number.isFinite(latest) ? { version, latest } : undefined;
}

/** A kept transaction: id, time, amount, balance after (or NaN), recipient key (or NaN), currency. */
function saveTxn(out: StateWriter, t: EpisodeTxn): void {
  out.put(t.id);
  out.put(t.time);
  out.put(t.amount);
  out.putMaybe(t.balanceAfter);
  out.putMaybe(t.recipientKey);
  out.putCode(t.currency);
}

function restoreTxn(input: StateReader): EpisodeTxn {
  const id = input.next();
  const time = input.next();
  const amount = input.next();
  const balanceAfter = input.maybe();
  const key = input.maybe();
  return {
    id,
    time,
    amount,
    currency: input.code(),
    balanceAfter,
    recipient: null,
    recipientKey: key ?? undefined,
  };
}

/** Kept transactions: their count, then each. */
export function saveTxns(out: StateWriter, txns: readonly EpisodeTxn[]): void {
  out.put(txns.length);
  for (const t of txns) saveTxn(out, t);
}

export function restoreTxns(input: StateReader): EpisodeTxn[] {
  const n = input.count();
  const txns: EpisodeTxn[] = [];
  for (let i = 0; i < n; i++) txns.push(restoreTxn(input));
  return txns;
}

/** A window: its items, then the open episode's ids (−1 when none) and those of its members not in the window. */
export function saveWindow(out: StateWriter, w: EpisodeWindow<EpisodeTxn>): void {
  const window = w.window;
  saveTxns(out, window);
  if (!w.open) {
    out.put(-1);
    return;
  }
  out.put(w.open.length);
  for (const t of w.open) out.put(t.id);
  const inWindow = new Set(window);
  saveTxns(
    out,
    w.open.filter((t) => !inWindow.has(t)),
  );
}

/** Reads a window saveWindow wrote into `w`. */
export function restoreWindow(w: EpisodeWindow<EpisodeTxn>, input: StateReader): void {
  const window = restoreTxns(input);
  w.window = window;
  const opened = input.next();
  if (opened === -1) return;
  if (!Number.isInteger(opened) || opened < 0)
    throw new Error(`saved scan state has a bad count (${opened})`);
  const ids: number[] = [];
  for (let i = 0; i < opened; i++) ids.push(input.next());
  const byId = new Map<number, EpisodeTxn>();
  for (const t of window) byId.set(t.id, t);
  for (const t of restoreTxns(input)) byId.set(t.id, t);
  w.open = ids.map((id) => byId.get(id)).filter((t): t is EpisodeTxn => t !== undefined);
}
