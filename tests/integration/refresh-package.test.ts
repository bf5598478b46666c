/**
 * The dashboard summaries' refresh as `serverless package` compiles it: its own function and schedule, its role,
 * and the on-success destinations that invoke it after a scan or a seed (with the permission to do so, and nothing
 * more).
 */
import { describe, expect, it } from 'vitest';
import { packagedTemplate } from '../helpers/package.js';

const template = await packagedTemplate('dev');
const resources = template.Resources;
const REFRESH_ARN = {
  'Fn::Sub':
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax, compared literally
    'arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:financial-monitor-dev-refresh-summaries',
};

/** Every Allow statement of a role, as [actions, resource]. */
function statementsOf(role: string): Array<{ Action: unknown; Resource: unknown }> {
  const policies = resources[role]?.Properties?.Policies as Array<{
    PolicyDocument: { Statement: Array<{ Effect: string; Action: unknown; Resource: unknown }> };
  }>;
  return policies
    .flatMap((p) => p.PolicyDocument.Statement)
    .map(({ Action, Resource }) => ({ Action, Resource }));
}

describe('serverless package: refresh-summaries (stage dev)', () => {
  it('is a function of its own with a 300 s timeout, a pool of two and one container at most', () => {
    const fn = resources.RefreshDashsummariesLambdaFunction?.Properties as Record<string, unknown>;
    expect(fn).toMatchObject({
      FunctionName: 'financial-monitor-dev-refresh-summaries',
      Handler: 'functions/refresh-summaries.handler',
      Timeout: 300,
      ReservedConcurrentExecutions: 1,
      Role: { 'Fn::GetAtt': ['RefreshSummariesRole', 'Arn'] },
    });
    expect((fn.Environment as { Variables: Record<string, unknown> }).Variables).toMatchObject({
      MYSQL_POOL_SIZE: '2',
      JOB_DEADLINE_MARGIN_SECONDS: '20',
    });
  });

  it('runs every 5 minutes as a safety net (and to go on with a refresh stopped at its deadline)', () => {
    const rules = Object.values(resources).filter(
      (r) => r.Type === 'AWS::Events::Rule' && JSON.stringify(r.Properties).includes('RefreshDashsummaries'),
    );
    expect(rules).toHaveLength(1);
    expect(rules[0]?.Properties).toMatchObject({
      Name: 'financial-monitor-dev-refresh-summaries',
      ScheduleExpression: 'rate(5 minutes)',
      State: 'ENABLED',
    });
  });

  it('may read the database secret and nothing else', () => {
    const statements = statementsOf('RefreshSummariesRole');
    expect(statements.map((s) => s.Action)).toEqual(['secretsmanager:GetSecretValue']);
  });

  it.each([
    ['scan-anomalies', 'ScanDashanomalies', 'ScanAnomaliesRole'],
    ['seed-data', 'SeedDashdata', 'SeedDataRole'],
  ])(
    'is invoked when an asynchronous %s succeeds, which may invoke it and no other function',
    (_, id, role) => {
      expect(resources[`${id}LambdaEvConf`]).toMatchObject({
        Type: 'AWS::Lambda::EventInvokeConfig',
        Properties: {
          FunctionName: { Ref: `${id}LambdaFunction` },
          Qualifier: '$LATEST',
          DestinationConfig: {
            OnSuccess: { Destination: { 'Fn::GetAtt': ['RefreshDashsummariesLambdaFunction', 'Arn'] } },
          },
        },
      });
      const invoke = statementsOf(role).filter((s) => JSON.stringify(s.Action).includes('lambda:'));
      expect(invoke).toEqual([{ Action: 'lambda:InvokeFunction', Resource: REFRESH_ARN }]);
    },
  );

  it('gives the scan the same deadline margin', () => {
    const scan = resources.ScanDashanomaliesLambdaFunction?.Properties as {
      Environment: { Variables: Record<string, unknown> };
    };
    expect(scan.Environment.Variables.JOB_DEADLINE_MARGIN_SECONDS).toBe('20');
  });
});
