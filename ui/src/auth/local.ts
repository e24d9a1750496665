import type { LocalAuthSettings } from '../settings.js';
import type { Auth } from './auth.js';
import { sessionFromToken, type Session } from './session.js';

/** Where this tab keeps the token the local sign-in minted. */
const TOKEN_KEY = 'org-feature-flags.local-token';
/** Where the app route to come back to waits while the local sign-in page is open. */
const RETURN_KEY = 'org-feature-flags.local-return';
/** The local sign-in answers with `/admin/#signed-in=<token>`. */
const FRAGMENT = /^#signed-in=([A-Za-z0-9_.-]+)$/;

/**
 * The local stack's sign-in: a form it serves mints a token with the local signer and sends the
 * browser back with the token in the URL fragment (never sent to a server), which the app moves
 * into sessionStorage and clears from the address bar.
 */
export function createLocalAuth(settings: LocalAuthSettings): Auth {
  const fromStorage = (): Session | null => {
    const token = window.sessionStorage.getItem(TOKEN_KEY);
    if (!token) return null;
    try {
      return sessionFromToken(token);
    } catch {
      window.sessionStorage.removeItem(TOKEN_KEY);
      return null;
    }
  };

  return {
    async start() {
      const match = FRAGMENT.exec(window.location.hash);
      if (match?.[1]) {
        window.sessionStorage.setItem(TOKEN_KEY, match[1]);
        const returnTo = window.sessionStorage.getItem(RETURN_KEY) ?? '#/orgs';
        window.sessionStorage.removeItem(RETURN_KEY);
        window.history.replaceState(null, '', `${window.location.pathname}${window.location.search}${returnTo}`);
        return { session: fromStorage(), returnTo };
      }
      return { session: fromStorage() };
    },
    async signIn(returnTo) {
      window.sessionStorage.removeItem(TOKEN_KEY);
      window.sessionStorage.setItem(RETURN_KEY, returnTo);
      window.location.assign(settings.sign_in_url);
    },
    async renew() {
      return null;
    },
    async signOut() {
      window.sessionStorage.removeItem(TOKEN_KEY);
      window.sessionStorage.removeItem(RETURN_KEY);
    },
  };
}
