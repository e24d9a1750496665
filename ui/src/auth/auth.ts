import type { Session } from './session.js';

/** What the page needs of a sign-in method. */
export interface Auth {
  /**
   * Completes a sign-in the page was loaded with (the provider's redirect back, or the local
   * sign-in's answer), else finds the session kept in this tab. `returnTo` is the app route to
   * show when the page was loaded by a sign-in.
   */
  start(): Promise<{ session: Session | null; returnTo?: string }>;
  /** Leaves the page for the sign-in; back at `returnTo` (an app route such as `#/orgs`) afterwards. */
  signIn(returnTo: string): Promise<void>;
  /** A fresh session without leaving the page when the method can (a refresh token), else null. */
  renew(): Promise<Session | null>;
  /** Forgets the session and ends it at the provider where there is one. */
  signOut(): Promise<void>;
}
