import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
}

describe('scan-anomalies deployment', () => {
  it('packages an EventBridge schedule every 15 minutes and a role that may read only the DB secret and invoke the summaries refresh', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'fm-scan-package-'));
    try {
      await promisify(execFile)(
        path.join(root, 'node_modules/.bin/serverless'),
        ['package', '--stage', 'dev', '--package', dir],
        { cwd: root, env: { ...process.env, SLS_TELEMETRY_DISABLED: '1' }, timeout: 240_000 },
      );
      const template = JSON.parse(
        await readFile(path.join(dir, 'cloudformation-template-update-stack.json'), 'utf8'),
      ) as { Resources: Record<string, Resource> };
      const rules = Object.values(template.Resources).filter(
        (r) => r.Type === 'AWS::Events::Rule' && JSON.stringify(r.Properties).includes('ScanDashanomalies'),
      );
      expect(rules).toHaveLength(1);
      expect(rules[0]?.Properties).toMatchObject({
        Name: 'financial-monitor-dev-scan-anomalies',
        ScheduleExpression: 'rate(15 minutes)',
        State: 'ENABLED',
      });
      const fn = template.Resources.ScanDashanomaliesLambdaFunction;
      expect(fn?.Properties).toMatchObject({ Timeout: 300, MemorySize: 1024 });
      const role = template.Resources.ScanAnomaliesRole as Resource;
      const actions = JSON.stringify(role.Properties.Policies).match(/"Action":"[^"]+"/g);
      // The DB secret, and invoking refresh-summaries (its on-success destination: tests/integration/refresh-package.test.ts).
      expect(actions).toEqual([
        '"Action":"secretsmanager:GetSecretValue"',
        '"Action":"lambda:InvokeFunction"',
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
