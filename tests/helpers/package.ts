/**
 * `serverless package --stage <stage> [--param k=v …]` once per content of serverless.yml, its fragments under
 * serverless/ and functions/, and per parameters, shared by every test file
 * that inspects the compiled CloudFormation (packaging takes seconds; files run in parallel workers, so a lock
 * directory makes the first one package and the others wait for its result).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

export interface CfnTemplate {
  Resources: Record<
    string,
    { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string; [k: string]: unknown }
  >;
  Outputs?: Record<string, unknown>;
  Conditions?: Record<string, unknown>;
}

async function contentHash(stage: string, params: Record<string, string>): Promise<string> {
  const hash = createHash('sha256')
    .update(stage)
    .update(JSON.stringify(Object.entries(params).sort()));
  hash.update(await readFile(path.join(root, 'serverless.yml')));
  for (const file of (await readdir(path.join(root, 'serverless'))).sort())
    hash.update(file).update(await readFile(path.join(root, 'serverless', file)));
  for (const file of (await readdir(path.join(root, 'functions'))).sort()) hash.update(file);
  return hash.digest('hex').slice(0, 16);
}

/** `-<hash>` of the parameters, or nothing without any. */
function variant(params: Record<string, string>): string {
  const entries = Object.entries(params).sort();
  if (entries.length === 0) return '';
  return `-${createHash('sha256').update(JSON.stringify(entries)).digest('hex').slice(0, 8)}`;
}

/**
 * Packages the service (no AWS credentials needed) and returns the compiled update-stack template. `params` are
 * stage parameters given on the command line (`--param key=value`), as a deploy may.
 *
 * @example await packagedTemplate('dev', { backupRunner: 'fargate', backupTaskSubnets: 'subnet-1' })
 */
export async function packagedTemplate(
  stage = 'dev',
  params: Record<string, string> = {},
): Promise<CfnTemplate> {
  const key = await contentHash(stage, params);
  const dir = path.join(os.tmpdir(), `fm-package-${key}`);
  const template = path.join(dir, 'out', 'cloudformation-template-update-stack.json');
  const lock = path.join(dir, 'lock');
  await mkdir(dir, { recursive: true });
  const deadline = Date.now() + 180_000;
  while (!existsSync(template)) {
    try {
      await mkdir(lock);
    } catch {
      if (Date.now() > deadline)
        throw new Error('timed out waiting for another worker to package the service');
      await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    try {
      if (!existsSync(template)) {
        await run(
          path.join(root, 'node_modules/.bin/serverless'),
          [
            'package',
            '--stage',
            stage,
            ...Object.entries(params).map(([k, v]) => `--param=${k}=${v}`),
            '--package',
            path.join(dir, 'out'),
          ],
          {
            cwd: root,
            env: {
              ...process.env,
              AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
              // One work folder per stage and parameters: packagings of other parameters may run meanwhile.
              ESBUILD_WORK_FOLDER: `.esbuild-package-${stage}${variant(params)}`,
            },
            maxBuffer: 16 * 1024 * 1024,
          },
        );
      }
    } finally {
      await rm(lock, { recursive: true, force: true });
    }
  }
  return JSON.parse(await readFile(template, 'utf8')) as CfnTemplate;
}
