import { Page } from '../components/page.js';
import { displayName, type Session } from '../auth/session.js';

/** Org tokens (and tokens with no scope of this service) are signed in, but not admitted. */
export function NotAdmittedScreen({ session, onSignOut }: { session: Session; onSignOut: () => void }) {
  const { caller } = session;
  return (
    <Page title="Not admitted">
      <div class="message message-error" role="alert">
        <p>
          You are signed in as <strong>{displayName(session)}</strong>
          {caller.role === 'org' ? (
            <>
              {' '}
              with a token of the org <strong>{caller.orgId}</strong>.
            </>
          ) : (
            <>
              , but{' '}
              {caller.role === 'none'
                ? caller.reason.replace(/\.$/, '').toLowerCase()
                : 'this token is not for this UI'}
              .
            </>
          )}
        </p>
        <p>
          This admin UI is for platform staff: it admits admin tokens (to change flags) and service tokens (to read
          them). An org sees its own flags through the product, not here.
        </p>
      </div>
      <button type="button" class="button button-primary" onClick={onSignOut}>
        Sign out and sign in as someone else
      </button>
    </Page>
  );
}
