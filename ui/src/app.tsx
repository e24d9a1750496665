import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { createApiClient, type ApiClient } from './api.js';
import { Page } from './components/page.js';
import type { Auth } from './auth/auth.js';
import { displayName, isExpired, type Session } from './auth/session.js';
import { HOME, NAV, useRoute, type Route } from './router.js';
import { FlagScreen } from './screens/flag.js';
import { FlagsScreen } from './screens/flags.js';
import { FlagHistoryScreen, OrgHistoryScreen } from './screens/history.js';
import { JobScreen, JobsScreen } from './screens/jobs.js';
import { NotAdmittedScreen } from './screens/not-admitted.js';
import { NotFoundScreen } from './screens/not-found.js';
import { OrgScreen } from './screens/org.js';
import { OrgsScreen } from './screens/orgs.js';
import { DEFAULT_POLL_SECONDS, type UiSettings } from './settings.js';

export interface AppProps {
  readonly settings: UiSettings;
  readonly auth: Auth;
  readonly session: Session | null;
}

type Status = 'signed-in' | 'signed-out' | 'renewing';

/** How often the token's expiry is checked while the page is open. */
const EXPIRY_CHECK_MS = 5_000;

/** The app: signed in or not, admitted or not, and the screen the fragment names. */
export function App({ settings, auth, session: initial }: AppProps) {
  const [session, setSession] = useState(initial && !isExpired(initial) ? initial : null);
  const [status, setStatus] = useState<Status>(
    initial ? (isExpired(initial) ? 'renewing' : 'signed-in') : 'signed-out',
  );
  const sessionRef = useRef(session);
  sessionRef.current = session;

  const signIn = useCallback(() => {
    void auth.signIn(window.location.hash.startsWith('#/') ? window.location.hash : HOME);
  }, [auth]);

  /** The token is no longer good: a new one without leaving the page if the method can, else a new sign-in. */
  const renew = useCallback(() => setStatus((current) => (current === 'signed-in' ? 'renewing' : current)), []);

  useEffect(() => {
    if (status !== 'renewing') return;
    let cancelled = false;
    void (async () => {
      const renewed = await auth.renew();
      if (cancelled) return;
      if (renewed && !isExpired(renewed)) {
        setSession(renewed);
        setStatus('signed-in');
      } else signIn();
    })();
    return () => {
      cancelled = true;
    };
  }, [status, auth, signIn]);

  useEffect(() => {
    if (status !== 'signed-in') return;
    const check = () => {
      if (sessionRef.current && isExpired(sessionRef.current)) renew();
    };
    const timer = window.setInterval(check, EXPIRY_CHECK_MS);
    document.addEventListener('visibilitychange', check);
    return () => {
      window.clearInterval(timer);
      document.removeEventListener('visibilitychange', check);
    };
  }, [status, renew]);

  const api = useMemo(
    () =>
      createApiClient({
        baseUrl: settings.api_url,
        token: () => sessionRef.current?.token ?? '',
        onUnauthorized: renew,
      }),
    [settings.api_url, renew],
  );

  const signOut = useCallback(async () => {
    await auth.signOut();
    setSession(null);
    setStatus('signed-out');
  }, [auth]);

  if (status === 'renewing') {
    return (
      <Page title="Session expired">
        <p role="status">Your session has expired. Signing you in again…</p>
        <button type="button" class="button" onClick={signIn}>
          Sign in again
        </button>
      </Page>
    );
  }
  if (!session) {
    return (
      <Page title="Sign in">
        <p>Platform staff manage every organization's feature flags here. Sign in to continue.</p>
        <button type="button" class="button button-primary" onClick={signIn}>
          Sign in
        </button>
      </Page>
    );
  }
  if (session.caller.role !== 'admin' && session.caller.role !== 'service') {
    return <NotAdmittedScreen session={session} onSignOut={signOut} />;
  }
  return (
    <Shell
      session={session}
      api={api}
      pollSeconds={settings.poll_seconds ?? DEFAULT_POLL_SECONDS}
      onSignOut={signOut}
    />
  );
}

interface ShellProps {
  readonly session: Session;
  readonly api: ApiClient;
  readonly pollSeconds: number;
  readonly onSignOut: () => void;
}

function Shell({ session, api, pollSeconds, onSignOut }: ShellProps) {
  const route = useRoute();
  const readOnly = session.caller.role !== 'admin';
  const first = useRef(true);
  const routeKey = JSON.stringify(route);

  useEffect(() => {
    // A new screen: its heading takes the focus, as a page load would put it at the top.
    if (first.current) first.current = false;
    else document.querySelector<HTMLElement>('main h1')?.focus();
  }, [routeKey]);

  return (
    <>
      <a class="skip-link" href="#main" onClick={skipToMain}>
        Skip to content
      </a>
      <header class="app-header">
        <div class="app-header-inner">
          <a class="brand" href={HOME}>
            Feature flags
          </a>
          <nav aria-label="Main">
            <ul class="nav-list">
              {NAV.map((entry) => (
                <li key={entry.href}>
                  <a href={entry.href} aria-current={entry.matches.includes(route.name) ? 'page' : undefined}>
                    {entry.label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          <div class="who">
            <span class="who-name">{displayName(session)}</span>
            <span class={`role role-${session.caller.role}`}>{readOnly ? 'service · read-only' : 'admin'}</span>
            <button type="button" class="button button-small" onClick={onSignOut}>
              Sign out
            </button>
          </div>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Screen route={route} api={api} readOnly={readOnly} pollSeconds={pollSeconds} />
      </main>
    </>
  );
}

function Screen({
  route,
  api,
  readOnly,
  pollSeconds,
}: {
  route: Route;
  api: ApiClient;
  readOnly: boolean;
  pollSeconds: number;
}) {
  switch (route.name) {
    case 'orgs':
      return (
        <OrgsScreen key={`${route.prefix}|${route.limit ?? ''}`} api={api} prefix={route.prefix} limit={route.limit} />
      );
    case 'org':
      return (
        <OrgScreen key={route.orgId} api={api} orgId={route.orgId} readOnly={readOnly} pollSeconds={pollSeconds} />
      );
    case 'flags':
      return <FlagsScreen api={api} readOnly={readOnly} />;
    case 'flag':
      return (
        <FlagScreen
          key={`${route.key}|${String(route.enabled)}|${route.limit ?? ''}`}
          api={api}
          flagKey={route.key}
          enabled={route.enabled}
          limit={route.limit}
          readOnly={readOnly}
          pollSeconds={pollSeconds}
        />
      );
    case 'org-history':
      return (
        <OrgHistoryScreen
          key={`${route.orgId}|${route.key ?? ''}`}
          api={api}
          orgId={route.orgId}
          flagKey={route.key}
          pollSeconds={pollSeconds}
        />
      );
    case 'flag-history':
      return <FlagHistoryScreen key={route.key} api={api} flagKey={route.key} pollSeconds={pollSeconds} />;
    case 'jobs':
      return <JobsScreen api={api} readOnly={readOnly} pollSeconds={pollSeconds} />;
    case 'job':
      return (
        <JobScreen key={route.jobId} api={api} jobId={route.jobId} readOnly={readOnly} pollSeconds={pollSeconds} />
      );
    case 'not-found':
      return <NotFoundScreen />;
  }
}

/** The skip link moves focus without changing the fragment, which holds the route. */
function skipToMain(event: MouseEvent) {
  event.preventDefault();
  document.getElementById('main')?.focus();
}
