/**
 * Reading IBM AMLSim output (`nodes.csv`: nodeid, isFraud, init_balance, fraudStep; `transactions.csv`:
 * sourceNodeId, targetNodeId, value, time) into accounts and transfers, with each bad line named by file, line and
 * reason. Pure parsing plus a line reader; what the rows become in the schema is lib/import/rows.ts's job.
 */
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ValidationError } from '../errors.js';

/** An AMLSim account (a node). */
export interface AmlsimAccount {
  node: number;
  fraud: boolean;
  initBalance: number;
  fraudStep: number;
}

/** An AMLSim transfer; `order` is its place in the file (ties within a step keep it). */
export interface AmlsimTransfer {
  source: number;
  target: number;
  cents: number;
  step: number;
  order: number;
}

/** A line that was not imported, and why. */
export interface BadRow {
  file: string;
  line: number;
  reason: string;
}

export interface AmlsimData {
  accounts: Map<number, AmlsimAccount>;
  transfers: AmlsimTransfer[];
  bad: BadRow[];
  /** The typology metadata.txt names (`fan-in`, `cycle`), or undefined when it names none or several. */
  pattern: string | undefined;
}

const WHOLE = /^\d+$/;
const MONEY = /^-?\d+(\.\d{1,2})?$/;

/** One nodes.csv line as an account, or the reason it is not one. */
export function parseNodeLine(cells: readonly string[]): AmlsimAccount | string {
  const [node, fraud, balance, step] = cells;
  if (cells.length !== 4) return `expected 4 fields, found ${cells.length}`;
  if (!WHOLE.test(node ?? '')) return `nodeid "${node}" is not a whole number`;
  if (fraud !== '0' && fraud !== '1') return `isFraud "${fraud}" is not 0 or 1`;
  if (!MONEY.test(balance ?? '')) return `init_balance "${balance}" is not an amount`;
  if (!/^-?\d+$/.test(step ?? '')) return `fraudStep "${step}" is not a whole number`;
  return { node: Number(node), fraud: fraud === '1', initBalance: Number(balance), fraudStep: Number(step) };
}

/** One transactions.csv line as a transfer between known accounts, or the reason it is not one. */
export function parseTransferLine(
  cells: readonly string[],
  accounts: ReadonlyMap<number, AmlsimAccount>,
  order: number,
): AmlsimTransfer | string {
  const [source, target, value, time] = cells;
  if (cells.length !== 4) return `expected 4 fields, found ${cells.length}`;
  for (const [name, v] of [
    ['sourceNodeId', source],
    ['targetNodeId', target],
  ] as const) {
    if (!WHOLE.test(v ?? '')) return `${name} "${v}" is not a whole number`;
    if (!accounts.has(Number(v))) return `${name} ${v} is not in nodes.csv`;
  }
  if (source === target) return `a transfer from account ${source} to itself`;
  if (!MONEY.test(value ?? '') || Number(value) <= 0) return `value "${value}" is not a positive amount`;
  if (!WHOLE.test(time ?? '')) return `time "${time}" is not a whole step`;
  return {
    source: Number(source),
    target: Number(target),
    cents: Math.round(Number(value) * 100),
    step: Number(time),
    order,
  };
}

/** The typology of a one-pattern sample from metadata.txt's `patterns: 200 fan-in` line. */
export function patternOf(metadata: string): string | undefined {
  const line = /^patterns:\s*(.+)$/m.exec(metadata)?.[1];
  const parts = line?.split(',').map((p) => p.trim().replace(/^\d+\s+/, '')) ?? [];
  return parts.length === 1 && /^[a-z-]+$/i.test(parts[0] ?? '')
    ? parts[0]?.toLowerCase().replace(/s$/, '')
    : undefined;
}

/** The folder holding nodes.csv and transactions.csv: `path` itself, its one sub-folder (a .tgz's layout), or a file's folder. */
export function amlsimFolder(path: string): string {
  const dir = statSync(path).isDirectory() ? path : join(path, '..');
  if (existsSync(join(dir, 'nodes.csv'))) return dir;
  for (const name of readdirSync(dir)) {
    const sub = join(dir, name);
    if (statSync(sub).isDirectory() && existsSync(join(sub, 'nodes.csv'))) return sub;
  }
  throw new ValidationError(`no AMLSim nodes.csv in ${path} (nor in a folder inside it)`);
}

async function* csvLines(path: string): AsyncGenerator<{ line: number; cells: string[] }> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  for await (const text of lines) {
    line++;
    if (line === 1 || text.trim() === '') continue; // the header
    yield { line, cells: text.split(',').map((c) => c.trim()) };
  }
}

/** Reads an AMLSim folder; every bad line is kept in `bad` (the caller decides whether that fails the import). */
export async function readAmlsim(folder: string): Promise<AmlsimData> {
  const accounts = new Map<number, AmlsimAccount>();
  const bad: BadRow[] = [];
  for await (const { line, cells } of csvLines(join(folder, 'nodes.csv'))) {
    const parsed = parseNodeLine(cells);
    if (typeof parsed === 'string') bad.push({ file: 'nodes.csv', line, reason: parsed });
    else if (accounts.has(parsed.node))
      bad.push({ file: 'nodes.csv', line, reason: `nodeid ${parsed.node} repeated` });
    else accounts.set(parsed.node, parsed);
  }
  const transfers: AmlsimTransfer[] = [];
  for await (const { line, cells } of csvLines(join(folder, 'transactions.csv'))) {
    const parsed = parseTransferLine(cells, accounts, transfers.length);
    if (typeof parsed === 'string') bad.push({ file: 'transactions.csv', line, reason: parsed });
    else transfers.push(parsed);
  }
  const metadata = join(folder, 'metadata.txt');
  const pattern = existsSync(metadata) ? patternOf(readFileSync(metadata, 'utf8')) : undefined;
  return { accounts, transfers, bad, pattern };
}
