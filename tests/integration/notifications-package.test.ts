/**
 * The notifications part of `serverless package`, built for the `example` stage (whose params carry subscribers and
 * a mail identity): the topic and its subscribers, the publisher's and the digest's schedules, the routes, and
 * least privilege — publish only to its own topic, send mail only from the configured identity.
 */
import { describe, expect, it } from 'vitest';
import { packagedTemplate } from '../helpers/package.js';

const template = await packagedTemplate('example');
const resources = template.Resources;

interface Statement {
  Sid?: string;
  Action: string | string[];
  Resource: unknown;
}

/** Every statement of a role's inline policies. */
function statementsOf(role: string): Statement[] {
  const policies = (resources[role]?.Properties?.Policies ?? []) as Array<{
    PolicyDocument: { Statement: Statement[] };
  }>;
  return policies.flatMap((p) => p.PolicyDocument.Statement);
}

/** Every role's statements that allow `action`, by role. */
function grantsOf(action: string): Array<[string, Statement]> {
  return Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::IAM::Role')
    .flatMap(([role]) => statementsOf(role).map((s): [string, Statement] => [role, s]))
    .filter(([, s]) => [s.Action].flat().some((a) => a === action || a === `${action.split(':')[0]}:*`));
}

/** The schedule rule that targets the function `logicalId`. */
function scheduleOf(logicalId: string) {
  return Object.values(resources).find(
    (r) => r.Type === 'AWS::Events::Rule' && JSON.stringify(r.Properties?.Targets).includes(`"${logicalId}"`),
  )?.Properties as { ScheduleExpression: string; State: string; Name: string } | undefined;
}

describe('serverless package: notifications (stage example)', () => {
  it('declares the notifications topic with the e-mail and HTTPS subscribers of the stage’s params', () => {
    expect(resources.NotificationsTopic?.Type).toBe('AWS::SNS::Topic');
    expect(resources.NotificationsTopic?.Properties).toMatchObject({
      TopicName: 'financial-monitor-example-notifications',
      Subscription: [
        { Protocol: 'email', Endpoint: 'security-team@example.com' },
        { Protocol: 'https', Endpoint: 'https://pager.example.com/sns/financial-monitor' },
      ],
    });
  });

  it('runs the publisher every minute and the digest daily', () => {
    expect(scheduleOf('NotificationsDashpublishLambdaFunction')).toMatchObject({
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Name: 'financial-monitor-example-notifications-publish',
    });
    expect(scheduleOf('NotificationsDashdigestLambdaFunction')).toMatchObject({
      ScheduleExpression: expect.stringMatching(/^cron\(\d+ \d+ \* \* \? \*\)$/),
      State: 'ENABLED',
    });
  });

  it('gives the publisher its topic and the digest its sender', () => {
    const vars = (id: string) =>
      (resources[id]?.Properties as { Environment: { Variables: Record<string, unknown> } } | undefined)
        ?.Environment.Variables ?? {};
    expect(vars('NotificationsDashpublishLambdaFunction').NOTIFY_TOPIC_ARN).toEqual({
      Ref: 'NotificationsTopic',
    });
    expect(vars('NotificationsDashpublishLambdaFunction').SNS_ENDPOINT).toBe('');
    expect(vars('NotificationsDashdigestLambdaFunction')).toMatchObject({
      NOTIFY_MAIL_FROM: 'monitor@example.com',
      NOTIFY_DIGEST_TO: 'security-team@example.com',
      SES_ENDPOINT: '',
    });
  });

  it('lets only the publisher publish, and only to its own topic', () => {
    const grants = grantsOf('sns:Publish');
    expect(grants.map(([role]) => role)).toEqual(['NotificationsPublishRole']);
    expect(grants[0]?.[1].Resource).toEqual({ Ref: 'NotificationsTopic' });
  });

  it('lets only the digest send mail, and only from the configured identity', () => {
    const grants = [...grantsOf('ses:SendEmail'), ...grantsOf('ses:SendRawEmail')];
    expect(grants.map(([role]) => role)).toEqual(['NotificationsDigestRole']);
    expect(grants[0]?.[1].Resource).toEqual({
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's Fn::Sub syntax, compared literally
      'Fn::Sub': 'arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}:identity/example.com',
    });
  });

  it('lets the publisher read only the database and webhook secrets of its stage', () => {
    const reads = statementsOf('NotificationsPublishRole').filter((s) =>
      [s.Action].flat().includes('secretsmanager:GetSecretValue'),
    );
    expect(JSON.stringify(reads.map((s) => s.Resource))).toMatch(/financial-monitor-example\/db-\*/);
    expect(JSON.stringify(reads.map((s) => s.Resource))).toMatch(/financial-monitor-example\/webhook-\*/);
    expect(JSON.stringify(reads.map((s) => s.Resource))).not.toContain('api-keys');
  });

  it('serves GET /notifications and POST /notifications/{id}/retry', () => {
    const routes = Object.values(resources)
      .filter((r) => r.Type === 'AWS::ApiGatewayV2::Route')
      .map((r) => (r.Properties as { RouteKey: string }).RouteKey);
    expect(routes).toEqual(expect.arrayContaining(['GET /notifications', 'POST /notifications/{id}/retry']));
  });
});
