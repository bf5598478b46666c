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
