/**
 * The saved detection state's encoding: a stream of doubles in the platform's byte order (numbers as they are, short
 * ASCII codes as a length and their char codes, absent values as NaN), stored as a BLOB. Every Lambda and Node
 * platform in use is little-endian; a state moved to a big-endian one reads as another version, and its client is
 * replayed from its history. An incremental scan decodes one per
 * client it touches and encodes it again: no JSON to parse or print, no object graph in between.
 */
import { endianness } from 'node:os';

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
