import { Duration, Fn } from 'aws-cdk-lib';
import {
  CfnManagedLoginBranding,
  OAuthScope,
  UserPoolClient,
  UserPoolClientIdentityProvider,
  type IUserPool,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { SCOPES } from '../../lambdas/domain/caller.js';
import { DEFAULT_ADMIN_UI_SCOPE } from '../config/stage-config.js';

/**
 * The scopes the admin UI's client at the dev user pool may ask for, and asks for. Only the admin
 * scope: Cognito grants a user every scope the client requests, not scopes per user, so a client
 * allowed the service scope too would only let a page ask for less than its user may do.
 */
export const DEV_POOL_ADMIN_UI_SCOPE = DEFAULT_ADMIN_UI_SCOPE;

/** Props of the {@link AdminUiUserPoolClient}. */
export interface AdminUiUserPoolClientProps {
  /** The stage's dev user pool (in the stateful stack). */
  readonly userPool: IUserPool;
  /** `https://<prefix>.auth.<region>.amazoncognito.com`. */
  readonly domainBaseUrl: string;
  /** The distribution's domain name: the UI is `https://<domain>/admin/`. */
  readonly uiDomainName: string;
}

/**
 * The admin UI's app client at the dev user pool: public (no secret; a browser cannot keep one),
 * authorization code only (the page adds PKCE), redirecting only to the UI, with the pool's
 * managed login pages in Cognito's default style. Created with the UI because its URLs name the
 * distribution; the pool itself stays in the stateful stack.
 */
export class AdminUiUserPoolClient extends Construct {
  readonly client: UserPoolClient;
  /** Where sign-out ends the Cognito session and comes back to the UI (Cognito's discovery document names no end_session_endpoint). */
  readonly logoutUrl: string;

  constructor(scope: Construct, id: string, props: AdminUiUserPoolClientProps) {
    super(scope, id);
    const uiUrl = `https://${props.uiDomainName}/admin/`;
    this.client = new UserPoolClient(this, 'Client', {
      userPool: props.userPool,
      generateSecret: false,
      authFlows: {},
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.custom(SCOPES.admin)],
        callbackUrls: [uiUrl],
        logoutUrls: [uiUrl],
      },
      preventUserExistenceErrors: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      // A working day: the page renews its access token with it, then asks for a new sign-in.
      refreshTokenValidity: Duration.hours(12),
      enableTokenRevocation: true,
    });
    new CfnManagedLoginBranding(this, 'ManagedLogin', {
      userPoolId: props.userPool.userPoolId,
      clientId: this.client.userPoolClientId,
      useCognitoProvidedValues: true,
    });
    this.logoutUrl = Fn.join('', [
      props.domainBaseUrl,
      '/logout?client_id=',
      this.client.userPoolClientId,
      '&logout_uri=',
      Fn.join('', ['https%3A%2F%2F', props.uiDomainName, '%2Fadmin%2F']),
    ]);
  }
}
