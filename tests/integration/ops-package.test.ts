/**
 * The operations part of the compiled CloudFormation (serverless.yml's "Operations" blocks): the ops topic and its
 * e-mail subscriber, the alarms, the ops check's schedule and role — and that the alarms watch exactly what the
 * check publishes (lib/ops/check.ts).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { METRICS_SERVICE, NEVER_MINUTES, OPS_METRICS } from '../../lib/ops/check.js';
import { packagedTemplate } from '../helpers/package.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const template = await packagedTemplate('dev');
const resources = template.Resources;
const conditions = (template as { Conditions?: Record<string, unknown> }).Conditions ?? {};

interface Alarm {
  AlarmName: string;
  Namespace: string;
  MetricName: string;
  Dimensions: Array<{ Name: string; Value: unknown }>;
  Statistic: string;
  Period: number;
  EvaluationPeriods: number;
  DatapointsToAlarm: number;
  Threshold: number;
  ComparisonOperator: string;
  TreatMissingData: string;
  AlarmActions: unknown[];
  OKActions?: unknown[];
}

const alarms = Object.entries(resources)
  .filter(([, r]) => r.Type === 'AWS::CloudWatch::Alarm')
  .map(([id, r]) => ({ id, ...(r.Properties as unknown as Alarm) }));

const functionId = (name: string) => {
  const found = Object.entries(resources).find(
    ([, r]) =>
      r.Type === 'AWS::Lambda::Function' &&
      (r.Properties as { FunctionName?: string }).FunctionName === `financial-monitor-dev-${name}`,
  );
  if (!found) throw new Error(`no function ${name}`);
  return found[0];
};
const opsCheck = resources[functionId('ops-check')]?.Properties as {
  Role: { 'Fn::GetAtt': [string, string] };
  Environment: { Variables: Record<string, string> };
};
const toOpsTopic = [{ Ref: 'OpsTopic' }];

/** Evaluates the condition functions serverless.yml uses (Fn::Not, Fn::Equals on literals). */
function holds(condition: unknown): boolean {
  const c = condition as Record<string, unknown[]>;
  if (c['Fn::Not']) return !holds(c['Fn::Not'][0]);
  if (c['Fn::Equals']) return c['Fn::Equals'][0] === c['Fn::Equals'][1];
  throw new Error(`unexpected condition ${JSON.stringify(condition)}`);
}

describe('serverless package: operations (stage dev)', () => {
  it('declares the ops topic, with no e-mail subscriber when the param opsAlarmEmail is unset', () => {
    expect(resources.OpsTopic).toMatchObject({
      Type: 'AWS::SNS::Topic',
      Properties: { TopicName: 'financial-monitor-dev-ops' },
    });
    const subscription = resources.OpsTopicEmailSubscription;
    expect(subscription?.Properties).toMatchObject({ TopicArn: { Ref: 'OpsTopic' }, Protocol: 'email' });
    expect(holds(conditions[String(subscription?.Condition)])).toBe(false);
    const subscriptions = Object.values(resources).filter(
      (r) => r.Type === 'AWS::SNS::Subscription' && JSON.stringify(r.Properties).includes('"OpsTopic"'),
    );
    expect(subscriptions).toEqual([subscription]);
  });

  it('subscribes the address in opsAlarmEmail to the ops topic when it is given', async () => {
    const { stdout } = await promisify(execFile)(
      path.join(root, 'node_modules/.bin/serverless'),
      ['print', '--stage', 'dev', '--param', 'opsAlarmEmail=ops@example.com', '--format', 'json'],
      { cwd: root, env: { ...process.env, SLS_TELEMETRY_DISABLED: '1' }, maxBuffer: 16 * 1024 * 1024 },
    );
    const printed = JSON.parse(stdout) as {
      resources: { Conditions: Record<string, unknown>; Resources: typeof resources };
    };
    const subscription = printed.resources.Resources.OpsTopicEmailSubscription;
    expect(holds(printed.resources.Conditions[String(subscription?.Condition)])).toBe(true);
    expect(subscription?.Properties).toEqual({
      TopicArn: { Ref: 'OpsTopic' },
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
  }, 120_000);

  it.each(['scan-anomalies', 'refresh-summaries', 'backup-database', 'ops-check'])(
    'alarms on any error of %s, to the ops topic',
    (name) => {
      const watching = alarms.filter((a) =>
        a.Dimensions?.some(
          (d) =>
            d.Name === 'FunctionName' &&
            JSON.stringify(d.Value) === JSON.stringify({ Ref: functionId(name) }),
        ),
      );
      expect(watching).toHaveLength(1);
      expect(watching[0]).toMatchObject({
        AlarmName: `financial-monitor-dev-${name}-errors`,
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Statistic: 'Sum',
        Period: 300,
        EvaluationPeriods: 1,
        DatapointsToAlarm: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: toOpsTopic,
      });
    },
  );

  it.each([
    {
      what: 'no successful backup in 26 h',
      metric: OPS_METRICS.backupAge,
      minutes: 26 * 60,
      name: 'backup-stale',
    },
    { what: 'no scan in 1 h', metric: OPS_METRICS.scanAge, minutes: 60, name: 'scan-stale' },
  ])(
    'alarms on $what from the metric the ops check publishes, and when it stops publishing',
    ({ metric, minutes, name }) => {
      const watching = alarms.filter((a) => a.MetricName === metric);
      expect(watching).toHaveLength(1);
      const alarm = watching[0] as Alarm;
      expect(alarm).toMatchObject({
        AlarmName: `financial-monitor-dev-${name}`,
        // What the check publishes: its namespace and dimensions, as its environment gives them.
        Namespace: opsCheck.Environment.Variables.OPS_METRICS_NAMESPACE,
        Statistic: 'Maximum',
        Threshold: minutes,
        ComparisonOperator: 'GreaterThanThreshold',
        Period: 300,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 2,
        TreatMissingData: 'breaching',
        AlarmActions: toOpsTopic,
        OKActions: toOpsTopic,
      });
      expect(alarm.Namespace).toMatch(/^[A-Za-z]/);
      expect(Object.fromEntries(alarm.Dimensions.map((d) => [d.Name, d.Value]))).toEqual({
        service: METRICS_SERVICE,
        Stage: opsCheck.Environment.Variables.STAGE,
      });
      // "Never" trips it.
      expect(NEVER_MINUTES).toBeGreaterThan(alarm.Threshold);
    },
  );

  it('sends every alarm to the ops topic only', () => {
    expect(alarms.length).toBeGreaterThanOrEqual(5);
    for (const alarm of alarms) {
      expect(alarm.AlarmActions, alarm.AlarmName).toEqual(toOpsTopic);
      if (alarm.OKActions) expect(alarm.OKActions, alarm.AlarmName).toEqual(toOpsTopic);
    }
  });

  it('runs ops-check every 5 minutes on an EventBridge schedule, so each 5-minute alarm period has a report', () => {
    const rules = Object.values(resources).filter(
      (r) =>
        r.Type === 'AWS::Events::Rule' &&
        JSON.stringify((r.Properties as { Targets: unknown }).Targets).includes(functionId('ops-check')),
    );
    expect(rules).toHaveLength(1);
    expect(rules[0]?.Properties).toMatchObject({
      Name: 'financial-monitor-dev-ops-check',
      ScheduleExpression: 'rate(5 minutes)',
      State: 'ENABLED',
    });
    expect(rules[0]?.Properties).not.toHaveProperty('Input');
  });

  it('lets ops-check read the database secret and nothing else (EMF needs no cloudwatch permission)', () => {
    const role = resources[opsCheck.Role['Fn::GetAtt'][0]]?.Properties as {
      RoleName: string;
      ManagedPolicyArns: string[];
      Policies: Array<{ PolicyDocument: { Statement: Array<Record<string, unknown>> } }>;
    };
    expect(role.RoleName).toBe('financial-monitor-dev-ops-check');
    expect(role.ManagedPolicyArns).toEqual([
      'arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole',
    ]);
    const statements = role.Policies.flatMap((p) => p.PolicyDocument.Statement);
    expect(statements).toEqual([
      {
        Sid: 'DatabaseSecret',
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        Resource: {
          'Fn::Sub': expect.stringMatching(/:secretsmanager:.*:secret:financial-monitor-dev\/db-\*$/),
        },
      },
    ]);
  });
});
