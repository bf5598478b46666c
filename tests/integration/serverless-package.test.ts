import { describe, expect, it } from 'vitest';
import { packagedTemplate } from '../helpers/package.js';

const template = await packagedTemplate('dev');
const functions = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');

describe('serverless package (stage dev)', () => {
  it('compiles every function for nodejs22.x with a stage-aware name, its own timeout and memory', () => {
    expect(functions.length).toBeGreaterThan(0);
    for (const [, fn] of functions) {
      const props = fn.Properties as Record<string, unknown>;
      if (props.PackageType !== 'Image') expect(props.Runtime).toBe('nodejs22.x');
      expect(props.FunctionName).toMatch(/^financial-monitor-dev-/);
      expect(props.Timeout).toEqual(expect.any(Number));
      expect(props.MemorySize).toEqual(expect.any(Number));
    }
  });

  it('gives each function a role of its own, none with wildcard actions or resources', () => {
    const roles = new Set<string>();
    for (const [name, fn] of functions) {
      const role = (fn.Properties as { Role?: { 'Fn::GetAtt'?: [string, string] } }).Role?.[
        'Fn::GetAtt'
      ]?.[0];
      expect(role, `${name} has its own role`).toBeDefined();
      expect(roles.has(role as string), `${name}'s role is not shared`).toBe(false);
      roles.add(role as string);
      const statements = (
        (template.Resources[role as string]?.Properties?.Policies ?? []) as Array<{
          PolicyDocument: { Statement: Array<{ Action: string | string[]; Resource: unknown }> };
        }>
      ).flatMap((p) => p.PolicyDocument.Statement);
      for (const statement of statements) {
        expect(
          [statement.Action].flat().some((a) => a === '*' || a.endsWith(':*')),
          JSON.stringify(statement),
        ).toBe(false);
        expect(statement.Resource, JSON.stringify(statement)).not.toBe('*');
      }
    }
  });

  it('reads the database secret in AWS, never a URL', () => {
    for (const [, fn] of functions) {
      const vars =
        (fn.Properties as { Environment?: { Variables?: Record<string, unknown> } }).Environment?.Variables ??
        {};
      expect(vars.MYSQL_SECRET_ID).toBe('financial-monitor-dev/db');
      expect(vars.MYSQL_URL ?? '').toBe('');
    }
  });

  it('keeps the backup bucket encrypted, private and retained', () => {
    const bucket = template.Resources.BackupBucket;
    expect(bucket?.DeletionPolicy).toBe('Retain');
    const props = bucket?.Properties as {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: Array<{ ServerSideEncryptionByDefault: { SSEAlgorithm: string } }>;
      };
      PublicAccessBlockConfiguration: unknown;
    };
    expect(
      props.BucketEncryption.ServerSideEncryptionConfiguration[0]?.ServerSideEncryptionByDefault.SSEAlgorithm,
    ).toBeDefined();
    expect(props.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
  });

  it('serves GET /health through the HTTP API', () => {
    const routes = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::ApiGatewayV2::Route')
      .map((r) => (r.Properties as { RouteKey: string }).RouteKey);
    expect(routes).toContain('GET /health');
  });
});

/** Functions whose role may read the database secret: the ones that open database connections. */
function readsDatabase(fn: { Properties?: Record<string, unknown> }): boolean {
  const role = (fn.Properties as { Role: { 'Fn::GetAtt': [string, string] } }).Role['Fn::GetAtt'][0];
  return JSON.stringify(template.Resources[role]?.Properties?.Policies ?? []).includes('/db-*');
}

const reservation = (logicalId: string) =>
  (template.Resources[logicalId]?.Properties as { ReservedConcurrentExecutions?: number } | undefined)
    ?.ReservedConcurrentExecutions;

/** The most connections one invocation holds at once (its requests' parallel queries; a job's whole pool). */
const CONNECTIONS_PER_INVOCATION: Record<string, number> = {
  'financial-monitor-dev-health': 1,
  'financial-monitor-dev-alerts-list': 1,
  'financial-monitor-dev-alerts-create': 1,
  'financial-monitor-dev-alerts-update': 1,
  'financial-monitor-dev-alerts-get': 2,
  'financial-monitor-dev-dashboard-data': 2,
  'financial-monitor-dev-alerts-stats': 3,
  'financial-monitor-dev-cases-list': 1,
  'financial-monitor-dev-cases-get': 1,
  'financial-monitor-dev-cases-update': 1,
  'financial-monitor-dev-cases-notes-create': 1,
  'financial-monitor-dev-notifications-list': 1,
  'financial-monitor-dev-notifications-retry': 1,
  'financial-monitor-dev-notifications-publish': 4,
  'financial-monitor-dev-notifications-digest': 4,
  'financial-monitor-dev-suppressions-list': 1,
  'financial-monitor-dev-suppressions-revoke': 1,
  'financial-monitor-dev-scan-anomalies': 8,
  'financial-monitor-dev-scan-rescan': 4,
  'financial-monitor-dev-seed-data': 8,
  'financial-monitor-dev-backup-database': 9,
  // Operations: one statement at a time.
  'financial-monitor-dev-ops-check': 1,
  // The summaries refresh: its lock's connection and its chunk's.
  'financial-monitor-dev-refresh-summaries': 2,
};

describe('serverless package: protections against a flood (stage dev)', () => {
  it('reserves concurrency for every function that opens database connections, 268 connections at most in all', () => {
    let connections = 0;
    for (const [logicalId, fn] of functions.filter(([, f]) => readsDatabase(f))) {
      const name = (fn.Properties as { FunctionName: string }).FunctionName;
      const reserved = reservation(logicalId);
      expect(reserved, `${name} has reserved concurrency`).toBeGreaterThan(0);
      expect(
        CONNECTIONS_PER_INVOCATION[name],
        `${name}'s connections per invocation are known`,
      ).toBeDefined();
      connections += (reserved ?? 0) * (CONNECTIONS_PER_INVOCATION[name] ?? 0);
    }
    expect(connections).toBeLessThanOrEqual(268);
  });

  it("throttles every HTTP API route within its function's reserved concurrency", () => {
    const stage = template.Resources.HttpApiStage as unknown as {
      Properties: {
        DefaultRouteSettings: { ThrottlingBurstLimit: number; ThrottlingRateLimit: number };
        RouteSettings?: Record<string, { ThrottlingBurstLimit: number; ThrottlingRateLimit: number }>;
      };
      DependsOn?: string[];
    };
    const { DefaultRouteSettings: defaults, RouteSettings: perRoute = {} } = stage.Properties;
    expect(defaults.ThrottlingBurstLimit).toBeGreaterThan(0);
    expect(defaults.ThrottlingRateLimit).toBeGreaterThan(0);
    const routes = Object.entries(template.Resources).filter(
      ([, r]) => r.Type === 'AWS::ApiGatewayV2::Route',
    );
    for (const [routeId, route] of routes) {
      const { RouteKey, Target } = route.Properties as {
        RouteKey: string;
        Target: { 'Fn::Join': [string, unknown[]] };
      };
      const integration = (Target['Fn::Join'][1][1] as { Ref: string }).Ref;
      const uri = template.Resources[integration]?.Properties?.IntegrationUri as {
        'Fn::GetAtt': [string, string];
      };
      const fn = uri['Fn::GetAtt'][0];
      const burst = perRoute[RouteKey]?.ThrottlingBurstLimit ?? defaults.ThrottlingBurstLimit;
      const reserved = reservation(fn);
      if (reserved !== undefined) expect(burst, `${RouteKey}'s burst`).toBeLessThanOrEqual(reserved);
      if (perRoute[RouteKey]) expect(stage.DependsOn, `the stage waits for ${RouteKey}`).toContain(routeId);
    }
    expect(Object.keys(perRoute).every((key) => routes.some(([, r]) => r.Properties?.RouteKey === key))).toBe(
      true,
    );
  });
});
