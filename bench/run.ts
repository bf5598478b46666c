/**
 * `npm run bench -- <name> [options]`: runs bench/<name>.ts, which prints its figures and the ratios against a
 * baseline measured in the same run (these machines are noisy; absolute seconds mean little across runs).
 * `npm run bench` alone lists the benchmarks.
 */
import '../scripts/cli-env.js';
import { readdir } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runCli } from '../scripts/cli.js';

const dir = fileURLToPath(new URL('.', import.meta.url));

export interface BenchModule {
  /** One line saying what is measured against what. */
  description: string;
  run(args: string[]): Promise<void>;
}

await runCli(async () => {
  const names = (await readdir(dir))
    .filter((f) => f.endsWith('.ts') && !['run.ts', 'lib.ts'].includes(f))
    .map((f) => f.slice(0, -3))
    .sort();
  const [name, ...args] = process.argv.slice(2);
  if (!name || name === '--help' || name === '-h') {
    console.log('Usage: npm run bench -- <name> [options]\n\nBenchmarks:');
    for (const n of names) {
      const mod = (await import(pathToFileURL(`${dir}${n}.ts`).href)) as BenchModule;
      console.log(`  ${n.padEnd(12)} ${mod.description}`);
    }
    return;
  }
  if (!names.includes(name)) throw new Error(`unknown benchmark "${name}"; known: ${names.join(', ')}`);
  const mod = (await import(pathToFileURL(`${dir}${name}.ts`).href)) as BenchModule;
  await mod.run(args);
});
