import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Match } from 'aws-cdk-lib/assertions';
import { SCOPES } from '../../lambdas/domain/caller.js';
import {
  STAGE_NAMES,
  cdkJsonStages,
  onlyResource,
  refId,
  removeSynthOutput,
  resolveImport,
  synthStage,
  type SynthesizedStage,
} from '../support/cdk.js';

const stages = cdkJsonStages();
const poolStages = STAGE_NAMES.filter((name) => (stages[name] as { devUserPool?: boolean }).devUserPool === true);
const jwtStages = STAGE_NAMES.filter((name) => !poolStages.includes(name));

afterAll(removeSynthOutput);

it('cdk.json has a stage with a dev user pool and one trusting its own identity provider', () => {
  expect(poolStages.length).toBeGreaterThan(0);
  expect(jwtStages.length).toBeGreaterThan(0);
});

describe.each(poolStages)('the dev user pool of stage %s', (stage) => {
  let synthesized: SynthesizedStage;
  beforeAll(() => {
    synthesized = synthStage(stage);
  }, 120_000);

  it('defines the three role scopes on one resource server', () => {
    const [, server] = onlyResource(synthesized.statefulTemplate, 'AWS::Cognito::UserPoolResourceServer');
    const scopes = (server.Properties.Scopes as Array<{ ScopeName: string }>).map(
      (scope) => `${server.Properties.Identifier}/${scope.ScopeName}`,
    );
    expect(scopes.sort()).toEqual(Object.values(SCOPES).sort());
  });

  it('has one client-credentials client per machine role, each holding only its scope, and none for orgs', () => {
    const clients = Object.values(synthesized.statefulTemplate.findResources('AWS::Cognito::UserPoolClient'));
    const granted = clients.map((client) => {
      expect(client.Properties).toMatchObject({ AllowedOAuthFlows: ['client_credentials'], GenerateSecret: true });
      const scopes = client.Properties.AllowedOAuthScopes as Array<{ 'Fn::Join': [string, [unknown, string]] }>;
      expect(scopes).toHaveLength(1);
      return scopes[0]!['Fn::Join'][1][1];
    });
    expect(granted.sort()).toEqual(['/admin', '/service']);
  });

  it('admits no self sign-up and requires MFA and a strong password', () => {
    synthesized.statefulTemplate.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      MfaConfiguration: 'ON',
      Policies: { PasswordPolicy: Match.objectLike({ MinimumLength: 14, RequireSymbols: true }) },
    });
  });

  it("is the issuer the API trusts, with its two machine clients and the admin UI's client as the audience", () => {
    const [poolId] = onlyResource(synthesized.statefulTemplate, 'AWS::Cognito::UserPool');
    const [, authorizer] = onlyResource(synthesized.statelessTemplate, 'AWS::ApiGatewayV2::Authorizer');
    const config = JSON.stringify(authorizer.Properties.JwtConfiguration);
    expect(config).toContain('https://cognito-idp.');
    expect(config).toContain(`ExportsOutputRef${poolId}`);
    const machineClients = Object.keys(synthesized.statefulTemplate.findResources('AWS::Cognito::UserPoolClient'));
    const [uiClient] = onlyResource(synthesized.statelessTemplate, 'AWS::Cognito::UserPoolClient');
    const audience = (authorizer.Properties.JwtConfiguration.Audience as unknown[]).map((value) =>
      refId(resolveImport(synthesized.statefulTemplate, value)),
    );
    expect(audience.sort()).toEqual([...machineClients, uiClient].sort());
  });
});

describe.each(jwtStages)('stage %s', (stage) => {
  it('creates no user pool', () => {
    const { statefulTemplate } = synthStage(stage);
    expect(Object.keys(statefulTemplate.findResources('AWS::Cognito::UserPool'))).toEqual([]);
  }, 120_000);
});
