import { describe, expect, it } from 'vitest';
import { packagedTemplate } from '../helpers/package.js';

const template = await packagedTemplate('dev');
const resources = Object.entries(template.Resources);

const ROUTES: Record<string, string> = {
  'GET /alerts': 'AlertsDashlistLambdaFunction',
  'GET /alerts/stats': 'AlertsDashstatsLambdaFunction',
  'GET /alerts/{id}': 'AlertsDashgetLambdaFunction',
  'POST /alerts': 'AlertsDashcreateLambdaFunction',
  'PATCH /alerts/{id}': 'AlertsDashupdateLambdaFunction',
  'GET /openapi.json': 'OpenapiLambdaFunction',
  'GET /cases': 'CasesDashlistLambdaFunction',
  'GET /cases/{id}': 'CasesDashgetLambdaFunction',
  'PATCH /cases/{id}': 'CasesDashupdateLambdaFunction',
  'POST /cases/{id}/notes': 'CasesDashnotesDashcreateLambdaFunction',
  'GET /suppressions': 'SuppressionsDashlistLambdaFunction',
  'DELETE /suppressions/{id}': 'SuppressionsDashrevokeLambdaFunction',
};

describe('serverless package: the alerts and cases API (stage dev)', () => {
  it('routes every alerts and cases endpoint through the HTTP API', () => {
    const routes = resources
      .filter(([, r]) => r.Type === 'AWS::ApiGatewayV2::Route')
      .map(([, r]) => (r.Properties as { RouteKey: string }).RouteKey);
    expect(routes).toEqual(expect.arrayContaining(Object.keys(ROUTES)));
  });

  it.each(Object.entries(ROUTES))('%s runs %s on nodejs22.x with its own role', (_route, logicalId) => {
    const fn = template.Resources[logicalId];
    expect(fn?.Type).toBe('AWS::Lambda::Function');
    const props = fn?.Properties as { Runtime: string; Role: { 'Fn::GetAtt': [string, string] } };
    expect(props.Runtime).toBe('nodejs22.x');
    expect(props.Role['Fn::GetAtt'][0]).toMatch(/^(Alerts\w+|Cases\w+|Suppressions\w+|Openapi)Role$/);
  });

  it('reads API keys from the stage’s secret, never from a value in the template', () => {
    for (const id of Object.values(ROUTES).filter((id) => id !== 'OpenapiLambdaFunction')) {
      const props = template.Resources[id]?.Properties as
        | { Environment?: { Variables?: Record<string, unknown> } }
        | undefined;
      const vars = props?.Environment?.Variables ?? {};
      expect(vars.API_KEYS_SECRET_ID).toBe('financial-monitor-dev/api-keys');
      expect(vars.API_KEYS ?? '').toBe('');
    }
  });

  it('lets the alerts and cases roles read only the DB and API-keys secrets', () => {
    for (const role of [
      'AlertsListRole',
      'AlertsGetRole',
      'AlertsCreateRole',
      'AlertsUpdateRole',
      'AlertsStatsRole',
      'CasesListRole',
      'CasesGetRole',
      'CasesUpdateRole',
      'CasesNotesCreateRole',
      'SuppressionsListRole',
      'SuppressionsRevokeRole',
    ]) {
      const policies = (template.Resources[role]?.Properties?.Policies ?? []) as Array<{
        PolicyDocument: { Statement: Array<{ Action: string; Resource: unknown }> };
      }>;
      const statements = policies.flatMap((p) => p.PolicyDocument.Statement);
      expect(statements.map((s) => s.Action)).toEqual(['secretsmanager:GetSecretValue']);
      expect(JSON.stringify(statements[0]?.Resource)).toMatch(/\/db-\*.*\/api-keys-\*/);
    }
    expect(template.Resources.OpenapiRole?.Properties?.Policies).toBeUndefined();
  });

  it('gives each cases function a role of its own and throttles the case writes like the alert writes', () => {
    const roles = ['CasesListRole', 'CasesGetRole', 'CasesUpdateRole', 'CasesNotesCreateRole'].map(
      (id) => (template.Resources[id]?.Properties as { RoleName?: string } | undefined)?.RoleName,
    );
    expect(roles).toEqual([
      'financial-monitor-dev-cases-list',
      'financial-monitor-dev-cases-get',
      'financial-monitor-dev-cases-update',
      'financial-monitor-dev-cases-notes-create',
    ]);
    const stage = template.Resources.HttpApiStage?.Properties as
      | { RouteSettings?: Record<string, { ThrottlingBurstLimit: number }> }
      | undefined;
    const settings = stage?.RouteSettings ?? {};
    expect(settings['PATCH /cases/{id}']).toBeDefined();
    expect(settings['PATCH /cases/{id}']).toEqual(settings['PATCH /alerts/{id}']);
    expect(settings['POST /cases/{id}/notes']).toEqual(settings['PATCH /alerts/{id}']);
  });
});
