import { describe, expect, it } from 'vitest';
import { packagedTemplate } from '../helpers/package.js';

const template = await packagedTemplate('dev');
const resources = Object.values(template.Resources);

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

const backupFunction = Object.entries(template.Resources).find(
  ([, r]) =>
    r.Type === 'AWS::Lambda::Function' &&
    (r.Properties as { FunctionName?: string }).FunctionName === 'financial-monitor-dev-backup-database',
);
const fnLogicalId = backupFunction?.[0] as string;
const fnProps = backupFunction?.[1].Properties as {
  Role: { 'Fn::GetAtt': [string, string] };
  Timeout: number;
  Environment: { Variables: Record<string, unknown> };
};
const role = template.Resources[fnProps?.Role['Fn::GetAtt'][0]];
const statements = (
  (role?.Properties?.Policies ?? []) as Array<{ PolicyDocument: { Statement: Statement[] } }>
).flatMap((p) => p.PolicyDocument.Statement);
const actionsOf = (s: Statement) => [s.Action].flat();

describe('serverless package: backups', () => {
  it('expires objects under backups/ after 7 days and aborts incomplete multipart uploads', () => {
    const bucket = template.Resources.BackupBucket?.Properties as {
      LifecycleConfiguration: { Rules: Array<Record<string, unknown>> };
    };
    expect(bucket.LifecycleConfiguration.Rules).toContainEqual(
      expect.objectContaining({
        Status: 'Enabled',
        Prefix: 'backups/',
        ExpirationInDays: 7,
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
      }),
    );
    // The app-level prune uses the same retention and prefix.
    expect(fnProps.Environment.Variables).toMatchObject({
      BACKUP_RETENTION_DAYS: '7',
      BACKUP_PREFIX: 'backups/',
    });
  });

  it('runs backup-database daily on an EventBridge schedule', () => {
    const rules = resources.filter(
      (r) =>
        r.Type === 'AWS::Events::Rule' &&
        JSON.stringify((r.Properties as { Targets: unknown }).Targets).includes(fnLogicalId),
    );
    const daily = rules.find(
      (r) => (r.Properties as { Name: string }).Name === 'financial-monitor-dev-backup-database',
    );
    expect(daily?.Properties).toMatchObject({ ScheduleExpression: 'cron(15 2 * * ? *)', State: 'ENABLED' });
    // AWS cron has six fields; serverless offline drops the year and node-schedule reads the other five.
    const expression = String(
      (daily?.Properties as { ScheduleExpression?: string } | undefined)?.ScheduleExpression,
    );
    expect(expression.slice(5, -1).split(' ')).toHaveLength(6);
  });

  it('gives the job time to dump and its own role', () => {
    expect(fnProps.Timeout).toBe(900);
    expect(Number(fnProps.Environment.Variables.BACKUP_TIMEOUT_SECONDS)).toBeLessThan(fnProps.Timeout);
    expect(role?.Properties?.RoleName).toBe('financial-monitor-dev-backup-database');
  });

  it('limits S3 object access to the bucket’s backups/ prefix', () => {
    const s3 = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('s3:')));
    expect(s3.length).toBeGreaterThan(0);
    for (const statement of s3) {
      expect(statement.Effect).toBe('Allow');
      const actions = actionsOf(statement);
      if (actions.includes('s3:ListBucket')) {
        expect(actions).toEqual(['s3:ListBucket']);
        expect(statement.Resource).toEqual({ 'Fn::GetAtt': ['BackupBucket', 'Arn'] });
        expect(statement.Condition).toEqual({ StringLike: { 's3:prefix': ['backups/*'] } });
      } else {
        expect(statement.Resource).toEqual({
          'Fn::Join': ['', [{ 'Fn::GetAtt': ['BackupBucket', 'Arn'] }, '/backups/*']],
        });
        for (const action of actions) {
          expect([
            's3:PutObject',
            's3:GetObject',
            's3:DeleteObject',
            's3:AbortMultipartUpload',
            's3:ListMultipartUploadParts',
          ]).toContain(action);
        }
      }
    }
    const all = s3.flatMap(actionsOf);
    expect(all).toEqual(expect.arrayContaining(['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListBucket']));
    expect(JSON.stringify(s3)).not.toMatch(/"\/\*"|s3:\*|"\*"/);
  });

  it('reads only its stage’s database secret', () => {
    const secret = statements.find((s) => actionsOf(s).includes('secretsmanager:GetSecretValue'));
    expect(JSON.stringify(secret?.Resource)).toContain('secret:financial-monitor-dev/db-*');
  });
});
