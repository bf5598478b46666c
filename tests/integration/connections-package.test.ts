import { describe, expect, it } from 'vitest';
import { type CfnTemplate, packagedTemplate } from '../helpers/package.js';

// Database connections as `serverless package` compiles them: the pools by function kind, and the stage parameter
// rdsProxy (serverless/rds-proxy.yml) both ways.
const secretArn = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:financial-monitor-dev/db-AbCdEf';
const [direct, proxied] = await Promise.all([
  packagedTemplate('dev'),
  packagedTemplate('dev', {
    rdsProxy: 'true',
    rdsProxySecretArn: secretArn,
    rdsProxySubnets: 'subnet-0a1,subnet-0b2',
    rdsProxySecurityGroups: 'sg-0c3',
    rdsProxyDbCluster: 'fm-aurora',
  }),
]);

/**
 * Each job's pool: what it needs (the notifications jobs and the ops check read and write little at once; the summaries
 * refresh holds its lock on one connection and writes on the other).
 */
const JOB_POOL: Record<string, number> = {
  'scan-anomalies': 8,
  'scan-rescan': 4,
  'seed-data': 8,
  'backup-database': 8,
  'notifications-publish': 4,
  'notifications-digest': 4,
  'ops-check': 1,
  'refresh-summaries': 2,
};
const JOBS = Object.keys(JOB_POOL);
/** What one request of each HTTP function opens at once (its parallel queries), and so its pool. */
const REQUEST_POOL: Record<string, number> = {
  health: 1,
  'alerts-list': 1,
  'alerts-create': 1,
  'alerts-update': 1,
  'cases-list': 1,
  'cases-get': 1,
  'cases-update': 1,
  'cases-notes-create': 1,
  'suppressions-list': 1,
  'suppressions-revoke': 1,
  'notifications-list': 1,
  'notifications-retry': 1,
  'alerts-get': 2,
  'dashboard-data': 2,
  'alerts-stats': 3,
};

interface Fn {
  name: string;
  reserved?: number;
  env: Record<string, unknown>;
}

function functionsOf(template: CfnTemplate): Fn[] {
  return Object.values(template.Resources)
    .filter((r) => r.Type === 'AWS::Lambda::Function')
    .map((r) => {
      const p = r.Properties as {
        FunctionName: string;
        ReservedConcurrentExecutions?: number;
        Environment?: { Variables?: Record<string, unknown> };
      };
      return {
        name: p.FunctionName.replace('financial-monitor-dev-', ''),
        reserved: p.ReservedConcurrentExecutions,
        env: p.Environment?.Variables ?? {},
      };
    });
}

const withDatabase = (template: CfnTemplate) => functionsOf(template).filter((f) => f.env.MYSQL_POOL_SIZE);
const rdsResources = (template: CfnTemplate) =>
  Object.entries(template.Resources).filter(([, r]) => r.Type.startsWith('AWS::RDS::'));

describe('serverless package: connection pools by function kind', () => {
  it('sizes an HTTP function’s pool to what one request opens, a job’s to what it needs', () => {
    const pools = Object.fromEntries(
      withDatabase(direct).map((f) => [f.name, Number(f.env.MYSQL_POOL_SIZE)]),
    );
    expect(pools).toEqual({ ...REQUEST_POOL, ...JOB_POOL });
  });

  it('keeps reserved concurrency × pool within 268 connections (200 of them the HTTP functions’)', () => {
    const total = (fns: Fn[]) =>
      fns.reduce((sum, f) => {
        expect(f.reserved, `${f.name} has reserved concurrency`).toBeGreaterThan(0);
        // mysqldump opens one connection of its own beside the backup's pool.
        return (
          sum + (f.reserved ?? 0) * (Number(f.env.MYSQL_POOL_SIZE) + (f.name === 'backup-database' ? 1 : 0))
        );
      }, 0);
    const fns = withDatabase(direct);
    expect(total(fns)).toBe(268);
    expect(total(fns.filter((f) => !JOBS.includes(f.name)))).toBe(200);
  });
});

describe('serverless package: rdsProxy false (the default)', () => {
  it('declares no proxy, and every function connects where the database secret says', () => {
    expect(rdsResources(direct)).toEqual([]);
    expect(direct.Resources.DbProxyRole).toBeUndefined();
    for (const f of functionsOf(direct)) {
      expect(f.env.MYSQL_HOST, f.name).toBe('');
      expect(f.env.MYSQL_TLS, f.name).toBe('false');
    }
  });
});

describe('serverless package: rdsProxy true', () => {
  const proxy = proxied.Resources.DbProxy?.Properties as Record<string, unknown>;
  const targets = proxied.Resources.DbProxyTargetGroup?.Properties as Record<string, unknown>;

  it('declares the proxy with the database secret, TLS required, in the stage’s subnets', () => {
    expect(rdsResources(proxied).map(([id, r]) => [id, r.Type])).toEqual([
      ['DbProxy', 'AWS::RDS::DBProxy'],
      ['DbProxyTargetGroup', 'AWS::RDS::DBProxyTargetGroup'],
    ]);
    expect(proxy).toMatchObject({
      DBProxyName: 'financial-monitor-dev',
      EngineFamily: 'MYSQL',
      RoleArn: { 'Fn::GetAtt': ['DbProxyRole', 'Arn'] },
      Auth: [{ AuthScheme: 'SECRETS', SecretArn: secretArn, IAMAuth: 'DISABLED' }],
      RequireTLS: true,
      VpcSubnetIds: { 'Fn::Split': [',', 'subnet-0a1,subnet-0b2'] },
      VpcSecurityGroupIds: { 'Fn::Split': [',', 'sg-0c3'] },
    });
  });

  it('lets the proxy read that secret and nothing else', () => {
    const role = proxied.Resources.DbProxyRole?.Properties as {
      AssumeRolePolicyDocument: { Statement: Array<{ Principal: { Service: string } }> };
      Policies: Array<{ PolicyDocument: { Statement: Array<Record<string, unknown>> } }>;
    };
    expect(role.AssumeRolePolicyDocument.Statement.map((s) => s.Principal.Service)).toEqual([
      'rds.amazonaws.com',
    ]);
    expect(role.Policies.flatMap((p) => p.PolicyDocument.Statement)).toEqual([
      {
        Sid: 'DatabaseSecret',
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: secretArn,
      },
    ]);
  });

  it('targets the cluster the stage names, with a share of max_connections and a borrow timeout', () => {
    expect(targets).toMatchObject({
      DBProxyName: { Ref: 'DbProxy' },
      TargetGroupName: 'default',
      DBClusterIdentifiers: { 'Fn::If': ['DbProxyTargetsCluster', ['fm-aurora'], { Ref: 'AWS::NoValue' }] },
      ConnectionPoolConfigurationInfo: { MaxConnectionsPercent: 60, ConnectionBorrowTimeout: 5 },
    });
    expect(proxied.Conditions).toMatchObject({
      DbProxyTargetsCluster: { 'Fn::Not': [{ 'Fn::Equals': ['fm-aurora', ''] }] },
    });
  });

  it('points the HTTP functions at the proxy over TLS; the jobs connect directly', () => {
    const fns = withDatabase(proxied);
    expect(fns.length).toBe(Object.keys(REQUEST_POOL).length + JOBS.length);
    for (const f of fns) {
      if (JOBS.includes(f.name)) {
        expect([f.name, f.env.MYSQL_HOST, f.env.MYSQL_TLS]).toEqual([f.name, '', 'false']);
      } else {
        expect([f.name, f.env.MYSQL_HOST, f.env.MYSQL_TLS]).toEqual([
          f.name,
          { 'Fn::GetAtt': ['DbProxy', 'Endpoint'] },
          'true',
        ]);
      }
    }
  });
});
