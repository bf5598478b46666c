import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// No Docker engine here: the Dockerfile is read, and its build stage's one command (docker/backup/bundle.sh) is run
// as the build runs it, so what the final stages copy and start is what the build really produces.
const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const dockerfile = await readFile(path.join(root, 'docker/backup/Dockerfile'), 'utf8');

interface Stage {
  name: string;
  lines: string[];
}

/** The Dockerfile's stages, each with its instructions (continuation lines joined). */
function stages(text: string): Stage[] {
  const instructions = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const result: Stage[] = [];
  for (const line of instructions) {
    const from = /^FROM\s+\S+(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) result.push({ name: from[1] ?? '', lines: [] });
    else result.at(-1)?.lines.push(line);
  }
  return result;
}

const all = stages(dockerfile);
const stage = (name: string) => all.find((s) => s.name === name) as Stage;
const instruction = (s: Stage, word: string) => s.lines.filter((l) => l.startsWith(`${word} `));
const jsonArgs = (s: Stage, word: string) =>
  JSON.parse(instruction(s, word)[0]?.slice(word.length + 1) ?? 'null') as string[];

/** Where a final stage's `COPY --from=build <files…> <dir>/` puts each build output: destination → /out source. */
function copiedFromBuild(s: Stage): Map<string, string> {
  const copies = new Map<string, string>();
  for (const line of instruction(s, 'COPY').filter((l) => l.includes('--from=build'))) {
    const parts = line.split(/\s+/).slice(2);
    const dir = (parts.pop() as string).replace(/\$\{LAMBDA_TASK_ROOT\}/, '/var/task');
    for (const source of parts) copies.set(path.posix.join(dir, path.posix.basename(source)), source);
  }
  return copies;
}

let out: string;

beforeAll(async () => {
  out = await mkdtemp(path.join(os.tmpdir(), 'fm-backup-bundle-'));
  const bundle = instruction(stage('build'), 'RUN').find((l) => l.includes('bundle.sh'));
  expect(bundle).toBe('RUN sh docker/backup/bundle.sh /out');
  await run('sh', ['docker/backup/bundle.sh', out], { cwd: root });
}, 120_000);

afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

describe('docker/backup/Dockerfile', () => {
  it('copies into the build stage every source the bundle script bundles', async () => {
    const script = await readFile(path.join(root, 'docker/backup/bundle.sh'), 'utf8');
    const entries = /for entry in ([^;]+);/.exec(script)?.[1]?.trim().split(/\s+/) ?? [];
    expect(entries).toEqual(['functions/backup-database.ts', 'scripts/backup-task.ts']);
    const copied = instruction(stage('build'), 'COPY').map((l) => l.split(/\s+/)[1]);
    for (const entry of entries) {
      expect(existsSync(path.join(root, entry)), entry).toBe(true);
      expect(copied, entry).toContain(entry);
    }
  });

  it("starts the task target's ENTRYPOINT on a file the build produces, and it runs", async () => {
    const task = stage('task');
    const [node, file] = jsonArgs(task, 'ENTRYPOINT');
    expect(node).toBe('node');
    const source = copiedFromBuild(task).get(file as string);
    expect(source, `${file} is copied from the build stage`).toMatch(/^\/out\//);
    const built = path.join(out, path.posix.basename(source as string));
    expect(existsSync(built)).toBe(true);
    const help = await run(process.execPath, [built, '--help']);
    expect(help.stdout).toContain('--action <action>');
  });

  it("names in the lambda target's CMD a handler the copied bundle exports", async () => {
    const lambda = stage('lambda');
    expect(all.at(-1)?.name, 'the default target stays the Lambda image').toBe('lambda');
    const [handler] = jsonArgs(lambda, 'CMD');
    const [module, exported] = (handler as string).split('.');
    const source = copiedFromBuild(lambda).get(`/var/task/${module}.mjs`);
    expect(source).toBe(`/out/${module}.mjs`);
    const text = await readFile(path.join(out, `${module}.mjs`), 'utf8');
    expect(text).toMatch(new RegExp(`export \\{[^}]*\\b${exported}\\b[^}]*\\}`));
  });

  it('installs the MySQL client tools both targets run at the paths the jobs are told', () => {
    const tools = stage('tools');
    expect(instruction(tools, 'RUN').join('\n')).toContain('dnf install -y mariadb105');
    const env = instruction(tools, 'ENV').join(' ');
    expect(env).toContain('MYSQLDUMP_PATH=/usr/bin/mysqldump');
    expect(env).toContain('MYSQL_CLIENT_PATH=/usr/bin/mysql');
    expect(all.filter((s) => ['task', 'lambda'].includes(s.name)).length).toBe(2);
  });
});
