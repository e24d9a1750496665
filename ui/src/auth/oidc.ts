import { UserManager, WebStorageStateStore, type User } from 'oidc-client-ts';
import type { OidcAuthSettings } from '../settings.js';
import type { Auth } from './auth.js';
import { sessionFromToken, type Session } from './session.js';

/** The app's own URL, where the provider sends the browser back (with `?code=&state=`) and after sign-out. */
function appUrl(): string {
  return `${window.location.origin}/admin/`;
}

function sessionOf(user: User): Session {
  return sessionFromToken(user.access_token, user.profile);
}

/**
 * Authorization code with PKCE through `oidc-client-ts`. Everything it keeps (the user, the
 * pending request's verifier) is in sessionStorage: gone with the tab, never in localStorage.
 */
export function createOidcAuth(settings: OidcAuthSettings): Auth {
  const store = new WebStorageStateStore({ store: window.sessionStorage });
  const manager = new UserManager({
    authority: settings.authority,
    client_id: settings.client_id,
    scope: settings.scope,
    redirect_uri: appUrl(),
    post_logout_redirect_uri: appUrl(),
    response_type: 'code',
    userStore: store,
    stateStore: store,
    automaticSilentRenew: false,
    monitorSession: false,
    loadUserInfo: false,
  });

  return {
    async start() {
      const params = new URLSearchParams(window.location.search);
      if (params.has('state') && (params.has('code') || params.has('error'))) {
        try {
          const user = await manager.signinRedirectCallback();
          return { session: sessionOf(user), returnTo: typeof user.state === 'string' ? user.state : '#/orgs' };
        } finally {
          // The code is single-use: drop it from the address bar and the history either way.
          window.history.replaceState(null, '', window.location.pathname);
        }
      }
      const user = await manager.getUser();
      return { session: user && !user.expired ? sessionOf(user) : null };
    },
    async signIn(returnTo) {
      await manager.signinRedirect({ state: returnTo });
    },
    async renew() {
      const user = await manager.getUser();
      if (!user?.refresh_token) return null;
      try {
        const renewed = await manager.signinSilent();
        return renewed ? sessionOf(renewed) : null;
      } catch {
        return null;
      }
    },
    async signOut() {
      const user = await manager.getUser();
      await manager.removeUser();
      if (settings.logout_url) window.location.assign(settings.logout_url);
      else await manager.signoutRedirect(user?.id_token ? { id_token_hint: user.id_token } : {});
    },
  };
}
