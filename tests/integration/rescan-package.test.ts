import { describe, expect, it } from 'vitest';
import { packagedTemplate } from '../helpers/package.js';

// The rescan state machine (serverless.yml stepFunctions) as `serverless package` compiles it.
const template = await packagedTemplate('dev');
const resources = Object.entries(template.Resources);
const [machineId, machine] = resources.find(([, r]) => r.Type === 'AWS::StepFunctions::StateMachine') ?? [];
const props = machine?.Properties as {
  StateMachineName: string;
  RoleArn: { 'Fn::GetAtt': [string, string] };
  DefinitionString: { 'Fn::Sub': [string, Record<string, unknown>] };
};
const [definitionText, substitutions] = props.DefinitionString['Fn::Sub'];

interface State {
  Type: string;
  Resource?: string;
  Parameters?: Record<string, unknown>;
  Next?: string;
  End?: boolean;
  MaxConcurrency?: number;
  ItemsPath?: string;
  ItemProcessor?: { ProcessorConfig: { Mode: string }; StartAt: string; States: Record<string, State> };
  Retry?: Array<{ ErrorEquals: string[]; MaxAttempts: number; BackoffRate: number; IntervalSeconds: number }>;
  Catch?: Array<{ ErrorEquals: string[]; Next: string }>;
}
const definition = JSON.parse(definitionText) as { StartAt: string; States: Record<string, State> };
const states = definition.States;

/** The function a Task's `${…}` Resource stands for. */
const functionOf = (state: State) =>
  (substitutions[(state.Resource ?? '').slice(2, -1)] as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];

describe('serverless package: the rescan state machine', () => {
  it('goes prepare → histogram slices → network stage → client partitions → finalize', () => {
    expect(props.StateMachineName).toBe('financial-monitor-dev-rescan');
    const path: string[] = [];
    for (let name: string | undefined = definition.StartAt; name; name = states[name]?.Next) path.push(name);
    expect(path).toEqual(['Prepare', 'CountHistogram', 'NetworkStage', 'JudgeClients', 'Finalize']);
    expect(states.Finalize?.End).toBe(true);
    expect(states.Prepare?.Parameters).toEqual({
      step: 'prepare',
      'owner.$': '$$.Execution.Name',
      partitions: 64,
    });
  });

  it('runs every part in a Distributed Map, rescanConcurrency at once, each part retried with backoff', () => {
    for (const [map, itemsPath] of [
      ['CountHistogram', '$.plan.histogram'],
      ['JudgeClients', '$.plan.clients'],
    ] as const) {
      const state = states[map] as State;
      expect(state).toMatchObject({ Type: 'Map', ItemsPath: itemsPath, MaxConcurrency: 8 });
      expect(state.ItemProcessor?.ProcessorConfig.Mode).toBe('DISTRIBUTED');
      const part = state.ItemProcessor?.States[state.ItemProcessor.StartAt] as State;
      expect(part.Parameters).toMatchObject({ step: 'part', 'kind.$': '$.kind', 'part.$': '$.part' });
      expect(functionOf(part)).toBe('ScanDashrescanLambdaFunction');
      expect(part.Retry?.[0]).toMatchObject({ ErrorEquals: ['States.ALL'], MaxAttempts: 3, BackoffRate: 2 });
      expect(part.Retry?.[0]?.IntervalSeconds).toBeGreaterThan(0);
    }
  });

  it('abandons the rescan when a step fails for good, then fails the execution', () => {
    for (const name of ['CountHistogram', 'NetworkStage', 'JudgeClients', 'Finalize'])
      expect(states[name]?.Catch).toEqual([
        { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Abandon' },
      ]);
    expect(states.Abandon?.Parameters).toMatchObject({ step: 'abandon', 'error.$': '$.error' });
    expect(functionOf(states.Abandon as State)).toBe('ScanDashrescanLambdaFunction');
    expect(states[states.Abandon?.Next ?? '']?.Type).toBe('Fail');
  });

  it('may invoke the scan-rescan function (and start its own child executions), nothing else', () => {
    const role = template.Resources[props.RoleArn['Fn::GetAtt'][0]]?.Properties as {
      Policies: Array<{ PolicyDocument: { Statement: Array<{ Action: string[]; Resource: unknown[] }> } }>;
    };
    const statements = role.Policies.flatMap((p) => p.PolicyDocument.Statement);
    const invoke = statements.filter((s) => s.Action.includes('lambda:InvokeFunction'));
    expect(invoke).toHaveLength(1);
    expect(JSON.stringify(invoke[0]?.Resource)).toContain('ScanDashrescanLambdaFunction');
    expect(JSON.stringify(invoke[0]?.Resource)).not.toMatch(/Scan(Dash)?anomalies|Seed/);
    const start = statements.find((s) => s.Action.includes('states:StartExecution'));
    expect(JSON.stringify(start?.Resource)).toContain('stateMachine:financial-monitor-dev-rescan');
    expect(machineId).toBeDefined();
  });

  it('gives the scan-rescan function the Lambda cap, a role of its own, its own pool size and the Maps’ concurrency', () => {
    const fn = template.Resources.ScanDashrescanLambdaFunction?.Properties as {
      Timeout: number;
      MemorySize: number;
      Role: unknown;
      Environment: { Variables: Record<string, unknown> };
    };
    expect(fn.Timeout).toBe(900);
    expect(fn.MemorySize).toBe(1769);
    expect(JSON.stringify(fn.Role)).toContain('ScanRescanRole');
    expect(fn.Environment.Variables.MYSQL_POOL_SIZE).toBe('4');
    expect((fn as { ReservedConcurrentExecutions?: number }).ReservedConcurrentExecutions).toBe(8);
  });
});
