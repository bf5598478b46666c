/**
 * `npm run bench -- <name> [options]`: runs bench/<name>.ts, which prints its figures and the ratios against a
 * baseline measured in the same run (these machines are noisy; absolute seconds mean little across runs).
 * `npm run bench` alone lists the benchmarks.
 */
import { readdir } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { defineCli } from '../lib/cli/args.js';
import { ValidationError } from '../lib/errors.js';
import { runCli } from '../scripts/cli.js';

const dir = fileURLToPath(new URL('.', import.meta.url));

export interface BenchModule {
  /** One line saying what is measured against what. */
  description: string;
  /** Runs the benchmark with its own arguments (`npm run bench -- <name> --help` lists them). */
  run(args: string[]): Promise<void>;
}

const cli = defineCli({
  usage: 'npm run bench -- <name> [options]',
  description: 'Runs bench/<name>.ts; `npm run bench -- <name> --help` lists its options.',
  options: {},
  subcommand: true,
});

await runCli(async () => {
  const names = (await readdir(dir))
    .filter((f) => f.endsWith('.ts') && !['run.ts', 'lib.ts'].includes(f))
    .map((f) => f.slice(0, -3))
    .sort();
  const parsed = cli.parseWithRest(process.argv.slice(2));
  const [name, ...args] = parsed?.rest ?? [];
  if (!name) {
    if (parsed) console.log(cli.help);
    console.log('\nBenchmarks:');
    for (const n of names) {
      const mod = (await import(pathToFileURL(`${dir}${n}.ts`).href)) as BenchModule;
      console.log(`  ${n.padEnd(12)} ${mod.description}`);
    }
    return;
  }
  if (!names.includes(name)) {
    throw new ValidationError(`unknown benchmark "${name}"; known: ${names.join(', ')}`);
  }
  const mod = (await import(pathToFileURL(`${dir}${name}.ts`).href)) as BenchModule;
  await mod.run(args);
});
