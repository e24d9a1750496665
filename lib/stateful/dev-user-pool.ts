import { Aws, CfnOutput, Fn, Validations, type RemovalPolicy } from 'aws-cdk-lib';
import {
  FeaturePlan,
  ManagedLoginVersion,
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
 * People sign in to the admin UI through its managed login pages (the UI's client is created
 * with the UI, in the stateless stack, because its redirect URL names the UI's distribution).
 */
export class DevUserPool extends Construct {
  readonly userPool: UserPool;
  readonly trust: JwtTrust;
  readonly tokenUrl: string;
  /** `https://<prefix>.auth.<region>.amazoncognito.com`: managed login, the token endpoint and `/logout`. */
  readonly domainBaseUrl: string;
  /** The issuer's origin, `https://cognito-idp.<region>.amazonaws.com`: discovery document and signing keys. */
  readonly issuerOrigin: string;

  constructor(scope: Construct, id: string, props: DevUserPoolProps) {
    super(scope, id);
    this.userPool = new UserPool(this, 'Pool', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      passwordPolicy: {
        minLength: 14,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
      },
      mfa: Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      featurePlan: FeaturePlan.ESSENTIALS,
      removalPolicy: props.removalPolicy,
    });
    Validations.of(this.userPool).acknowledge({
      id: 'AwsSolutions-COG8',
      reason:
        'Development pool: its people are a few staff an administrator creates (no self sign-up), each with a 14-character password ' +
        "and a required authenticator-app code (TOTP), signing in only to this stage's admin UI. The Plus tier's threat protection " +
        '(adaptive, risk-based sign-in checks and compromised-credential detection) guards large populations of self-registered users; ' +
        'production stages sign in through their own identity provider (jwt), where such protection belongs.',
    });

    const [identifier] = SCOPES.admin.split('/') as [string];
    const scopes = Object.fromEntries(
      (Object.keys(SCOPES) as Role[]).map((role) => [
        role,
        new ResourceServerScope({ scopeName: SCOPES[role].split('/')[1]!, scopeDescription: `The ${role} role` }),
      ]),
    ) as Record<Role, ResourceServerScope>;
    const resourceServer = new UserPoolResourceServer(this, 'Api', {
      userPool: this.userPool,
      identifier,
      scopes: Object.values(scopes),
    });

    // Managed login (not the classic hosted UI): it walks a new user through the password change
    // and the authenticator-app (TOTP) setup that the required MFA asks for.
    const domain = this.userPool.addDomain('Domain', {
      cognitoDomain: { domainPrefix: Fn.join('-', ['org-feature-flags', props.stage, Aws.ACCOUNT_ID]) },
      managedLoginVersion: ManagedLoginVersion.NEWER_MANAGED_LOGIN,
    });
    this.domainBaseUrl = domain.baseUrl();
    this.tokenUrl = `${this.domainBaseUrl}/oauth2/token`;

    const client = (role: 'admin' | 'service') =>
      new UserPoolClient(this, `${role === 'admin' ? 'Admin' : 'Service'}Client`, {
        userPool: this.userPool,
        generateSecret: true,
        authFlows: {},
        oAuth: {
          flows: { clientCredentials: true },
          scopes: [OAuthScope.resourceServer(resourceServer, scopes[role])],
        },
      });
    const admin = client('admin');
    const service = client('service');

    this.issuerOrigin = `https://cognito-idp.${Aws.REGION}.${Aws.URL_SUFFIX}`;
    this.trust = {
      issuer: `${this.issuerOrigin}/${this.userPool.userPoolId}`,
      audience: [admin.userPoolClientId, service.userPoolClientId],
    };
    new CfnOutput(this, 'TokenUrl', { value: this.tokenUrl, description: 'OAuth token endpoint (client credentials)' });
    new CfnOutput(this, 'AdminClientId', { value: admin.userPoolClientId, description: 'Client with the admin scope' });
    new CfnOutput(this, 'ServiceClientId', {
      value: service.userPoolClientId,
      description: 'Client with the service scope',
    });
    new CfnOutput(this, 'UserPoolId', {
      value: this.userPool.userPoolId,
      description: 'Read client secrets with describe-user-pool-client',
    });
  }
}
