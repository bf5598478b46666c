import { describe, expect, it } from 'vitest';
import { type CfnTemplate, packagedTemplate } from '../helpers/package.js';

// The stage parameter backupRunner (serverless/backup-runner.yml), both values, as `serverless package` compiles them.
const [onLambda, onFargate] = await Promise.all([
  packagedTemplate('dev'),
  packagedTemplate('dev', {
    backupRunner: 'fargate',
    backupTaskSubnets: 'subnet-0a1,subnet-0b2',
    backupTaskSecurityGroups: 'sg-0c3',
  }),
]);

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

const ofType = (template: CfnTemplate, type: string) =>
  Object.entries(template.Resources).filter(([, r]) => r.Type === type);
const props = (template: CfnTemplate, id: string) =>
  template.Resources[id]?.Properties as Record<string, unknown>;
const statementsOf = (template: CfnTemplate, roleId: string) =>
  (
    (props(template, roleId)?.Policies ?? []) as Array<{ PolicyDocument: { Statement: Statement[] } }>
  ).flatMap((p) => p.PolicyDocument.Statement);
const actions = (statements: Statement[]) => statements.flatMap((s) => [s.Action].flat()).sort();
const trustedService = (template: CfnTemplate, roleId: string) =>
  (
    props(template, roleId).AssumeRolePolicyDocument as {
      Statement: Array<{ Principal: { Service: string } }>;
    }
  ).Statement.map((s) => s.Principal.Service);
const rule = (template: CfnTemplate, name: string) =>
  ofType(template, 'AWS::Events::Rule').find(([, r]) => (r.Properties as { Name: string }).Name === name)?.[1]
    .Properties as {
    ScheduleExpression: string;
    State: string;
    Targets: Array<Record<string, unknown>>;
  };

describe('serverless package: backupRunner lambda (the default)', () => {
  it('has no ECS resources and no task role', () => {
    const ecs = Object.values(onLambda.Resources).filter((r) => r.Type.startsWith('AWS::ECS::'));
    expect(ecs).toEqual([]);
    expect(ofType(onLambda, 'AWS::ECR::Repository')).toEqual([]);
    expect(Object.keys(onLambda.Resources).filter((id) => id.startsWith('BackupTask'))).toEqual([]);
  });

  it('runs the daily backup and the weekly restore test on the function', () => {
    const daily = rule(onLambda, 'financial-monitor-dev-backup-database');
    expect(daily).toMatchObject({ ScheduleExpression: 'cron(15 2 * * ? *)', State: 'ENABLED' });
    expect(JSON.stringify(daily.Targets)).toContain('BackupDashdatabaseLambdaFunction');
    expect(rule(onLambda, 'financial-monitor-dev-backup-verify')?.State).toBe('DISABLED'); // backupVerifyEnabled
  });
});

describe('serverless package: backupRunner fargate', () => {
  const daily = rule(onFargate, 'financial-monitor-dev-backup-database-task');

  it('starts the ECS task on the same schedule, and no longer the function', () => {
    expect(daily).toMatchObject({ ScheduleExpression: 'cron(15 2 * * ? *)', State: 'ENABLED' });
    expect(rule(onFargate, 'financial-monitor-dev-backup-database')?.State).toBe('DISABLED');
    expect(rule(onFargate, 'financial-monitor-dev-backup-verify')?.State).toBe('DISABLED');
    expect(rule(onFargate, 'financial-monitor-dev-backup-verify-task')).toMatchObject({
      ScheduleExpression: 'cron(45 3 ? * SUN *)',
      State: 'DISABLED',
    });
  });

  it('targets the cluster with RunTask parameters: the task definition, FARGATE, the stage’s subnets', () => {
    expect(daily.Targets).toHaveLength(1);
    const target = daily.Targets[0] as Record<string, unknown>;
    expect(target).toMatchObject({
      Arn: { 'Fn::GetAtt': ['BackupTaskCluster', 'Arn'] },
      RoleArn: { 'Fn::GetAtt': ['BackupScheduleRole', 'Arn'] },
      EcsParameters: {
        TaskDefinitionArn: { Ref: 'BackupTaskDefinition' },
        TaskCount: 1,
        LaunchType: 'FARGATE',
        NetworkConfiguration: {
          AwsVpcConfiguration: {
            Subnets: { 'Fn::Split': [',', 'subnet-0a1,subnet-0b2'] },
            SecurityGroups: { 'Fn::Split': [',', 'sg-0c3'] },
            AssignPublicIp: 'DISABLED',
          },
        },
      },
    });
    expect(JSON.parse(target.Input as string)).toEqual({
      containerOverrides: [{ name: 'backup', command: ['--action', 'backup', '--trigger', 'schedule'] }],
    });
    const verify = rule(onFargate, 'financial-monitor-dev-backup-verify-task').Targets[0] as {
      Input: string;
    };
    expect(JSON.parse(verify.Input).containerOverrides[0].command).toEqual(['--action', 'verify']);
  });

  it('defines the task: CPU and memory from the params, the stage’s image, its roles, logs kept 30 days', () => {
    const task = props(onFargate, 'BackupTaskDefinition');
    expect(task).toMatchObject({
      Family: 'financial-monitor-dev-backup',
      RequiresCompatibilities: ['FARGATE'],
      NetworkMode: 'awsvpc',
      ExecutionRoleArn: { 'Fn::GetAtt': ['BackupTaskExecutionRole', 'Arn'] },
      TaskRoleArn: { 'Fn::GetAtt': ['BackupTaskRole', 'Arn'] },
    });
    expect(String(task.Cpu)).toBe('1024');
    expect(String(task.Memory)).toBe('4096');
    const [container] = task.ContainerDefinitions as Array<Record<string, unknown>>;
    expect(container).toMatchObject({
      Name: 'backup',
      Essential: true,
      ReadonlyRootFilesystem: true,
      Image: {
        'Fn::Join': [':', [{ 'Fn::GetAtt': ['BackupTaskRepository', 'RepositoryUri'] }, 'latest']],
      },
      LogConfiguration: { LogDriver: 'awslogs', Options: { 'awslogs-group': { Ref: 'BackupTaskLogGroup' } } },
    });
    const env = Object.fromEntries(
      ((container?.Environment ?? []) as Array<{ Name: string; Value: unknown }>).map((e) => [
        e.Name,
        e.Value,
      ]),
    );
    expect(env).toMatchObject({
      MYSQL_SECRET_ID: 'financial-monitor-dev/db',
      BACKUP_BUCKET: { Ref: 'BackupBucket' },
      BACKUP_PREFIX: 'backups/',
    });
    // (CloudFormation turns the numbers of parameters into the strings ECS takes.)
    expect(String(env.BACKUP_RETENTION_DAYS)).toBe('7');
    expect(Number(env.BACKUP_TIMEOUT_SECONDS)).toBeGreaterThan(900);
    expect(env.MYSQL_URL).toBeUndefined();
    expect(props(onFargate, 'BackupTaskLogGroup')).toMatchObject({ RetentionInDays: 30 });
    expect(ofType(onFargate, 'AWS::ECS::Cluster')).toHaveLength(1);
  });

  it('gives the task what the function has and nothing else: the DB secret, objects under backups/', () => {
    expect(trustedService(onFargate, 'BackupTaskRole')).toEqual(['ecs-tasks.amazonaws.com']);
    const task = statementsOf(onFargate, 'BackupTaskRole');
    const lambda = statementsOf(onFargate, 'BackupRole');
    expect(task).toEqual(lambda);
    expect(actions(task)).toEqual([
      's3:AbortMultipartUpload',
      's3:DeleteObject',
      's3:GetObject',
      's3:ListBucket',
      's3:ListMultipartUploadParts',
      's3:PutObject',
      'secretsmanager:GetSecretValue',
    ]);
    expect(JSON.stringify(task)).not.toMatch(/"\*"|:\*"/);
  });

  it('lets ECS pull only the stage’s image and write only the task’s log group', () => {
    expect(trustedService(onFargate, 'BackupTaskExecutionRole')).toEqual(['ecs-tasks.amazonaws.com']);
    const statements = statementsOf(onFargate, 'BackupTaskExecutionRole');
    for (const s of statements) {
      if (s.Resource === '*') expect(s.Action).toBe('ecr:GetAuthorizationToken'); // the API takes no resource
    }
    const pull = statements.find((s) => [s.Action].flat().includes('ecr:BatchGetImage'));
    expect(pull?.Resource).toEqual({ 'Fn::GetAtt': ['BackupTaskRepository', 'Arn'] });
    const logs = statements.find((s) => [s.Action].flat().includes('logs:PutLogEvents'));
    expect(JSON.stringify(logs?.Resource)).toContain('BackupTaskLogGroup');
    expect(actions(statements)).toEqual([
      'ecr:BatchCheckLayerAvailability',
      'ecr:BatchGetImage',
      'ecr:GetAuthorizationToken',
      'ecr:GetDownloadUrlForLayer',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]);
  });

  it('lets EventBridge run only this task family in this cluster and pass only its two roles', () => {
    expect(trustedService(onFargate, 'BackupScheduleRole')).toEqual(['events.amazonaws.com']);
    const statements = statementsOf(onFargate, 'BackupScheduleRole');
    expect(actions(statements)).toEqual(['ecs:RunTask', 'iam:PassRole']);
    const run = statements.find((s) => s.Action === 'ecs:RunTask') as Statement;
    expect(JSON.stringify(run.Resource)).toContain(':task-definition/financial-monitor-dev-backup:*');
    expect(run.Condition).toEqual({
      ArnEquals: { 'ecs:cluster': { 'Fn::GetAtt': ['BackupTaskCluster', 'Arn'] } },
    });
    const pass = statements.find((s) => s.Action === 'iam:PassRole') as Statement;
    expect(pass.Resource).toEqual([
      { 'Fn::GetAtt': ['BackupTaskRole', 'Arn'] },
      { 'Fn::GetAtt': ['BackupTaskExecutionRole', 'Arn'] },
    ]);
    expect(pass.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } });
  });
});
