import { Aws, CfnOutput, Fn, Validations, type RemovalPolicy } from 'aws-cdk-lib';
import {
  FeaturePlan,
  Mfa,
  OAuthScope,
  ResourceServerScope,
  UserPool,
  UserPoolClient,
  UserPoolResourceServer,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { SCOPES, type Role } from '../../lambdas/domain/caller.js';

/** Props of the {@link DevUserPool}. */
export interface DevUserPoolProps {
  readonly stage: string;
  readonly removalPolicy: RemovalPolicy;
}

/** The issuer and audiences the API's JWT authorizer trusts. */
export interface JwtTrust {
  readonly issuer: string;
  readonly audience: string[];
}

/**
 * A Cognito user pool for a development stage: a resource server whose scopes are the three
 * roles' scopes, and one client-credentials app client for the admin role and one for the
 * service role. Org tokens need an `org_id` claim, which Cognito adds to machine tokens only
 * through a pre-token-generation trigger; this pool has none, so it issues no org tokens.
 */
export class DevUserPool extends Construct {
  readonly userPool: UserPool;
  readonly trust: JwtTrust;
  readonly tokenUrl: string;

  constructor(scope: Construct, id: string, props: DevUserPoolProps) {
    super(scope, id);
    this.userPool = new UserPool(this, 'Pool', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      passwordPolicy: { minLength: 14, requireLowercase: true, requireUppercase: true, requireDigits: true, requireSymbols: true },
      mfa: Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      featurePlan: FeaturePlan.ESSENTIALS,
      removalPolicy: props.removalPolicy,
    });
    Validations.of(this.userPool).acknowledge({
      id: 'AwsSolutions-COG8',
      reason: 'Development pool that issues machine tokens only (client credentials); the Plus tier protects human sign-ins, which it has none of.',
    });

    const [identifier] = SCOPES.admin.split('/') as [string];
    const scopes = Object.fromEntries(
      (Object.keys(SCOPES) as Role[]).map((role) => [role, new ResourceServerScope({ scopeName: SCOPES[role].split('/')[1]!, scopeDescription: `The ${role} role` })]),
    ) as Record<Role, ResourceServerScope>;
    const resourceServer = new UserPoolResourceServer(this, 'Api', {
      userPool: this.userPool,
      identifier,
      scopes: Object.values(scopes),
    });

    const domain = this.userPool.addDomain('Domain', {
      cognitoDomain: { domainPrefix: Fn.join('-', ['org-feature-flags', props.stage, Aws.ACCOUNT_ID]) },
    });
    this.tokenUrl = `${domain.baseUrl()}/oauth2/token`;

    const client = (role: 'admin' | 'service') =>
      new UserPoolClient(this, `${role === 'admin' ? 'Admin' : 'Service'}Client`, {
        userPool: this.userPool,
        generateSecret: true,
        authFlows: {},
        oAuth: { flows: { clientCredentials: true }, scopes: [OAuthScope.resourceServer(resourceServer, scopes[role])] },
      });
    const admin = client('admin');
    const service = client('service');

    this.trust = {
      issuer: `https://cognito-idp.${Aws.REGION}.${Aws.URL_SUFFIX}/${this.userPool.userPoolId}`,
      audience: [admin.userPoolClientId, service.userPoolClientId],
    };
    new CfnOutput(this, 'TokenUrl', { value: this.tokenUrl, description: 'OAuth token endpoint (client credentials)' });
    new CfnOutput(this, 'AdminClientId', { value: admin.userPoolClientId, description: 'Client with the admin scope' });
    new CfnOutput(this, 'ServiceClientId', { value: service.userPoolClientId, description: 'Client with the service scope' });
    new CfnOutput(this, 'UserPoolId', { value: this.userPool.userPoolId, description: 'Read client secrets with describe-user-pool-client' });
  }
}
