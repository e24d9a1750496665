import type { UiSettings } from '../settings.js';
import { createOidcAuth } from './oidc.js';
import { createLocalAuth } from './local.js';
import type { Auth } from './auth.js';

export function createAuth(settings: UiSettings): Auth {
  if (settings.auth.kind === 'oidc') return createOidcAuth(settings.auth);
  // The AWS build defines __LOCAL_SIGN_IN__ as false: this branch and the local module are dropped from it.
  if (__LOCAL_SIGN_IN__) return createLocalAuth(settings.auth);
  throw new Error('These settings ask for the local sign-in, which only the local stack serves.');
}
