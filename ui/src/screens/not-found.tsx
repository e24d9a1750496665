import { useEffect } from 'preact/hooks';
import { HOME } from '../router.js';

export function NotFoundScreen() {
  useEffect(() => {
    document.title = 'Not found · Feature flags';
  }, []);
  return (
    <>
      <h1 tabIndex={-1}>Not found</h1>
      <p>
        This address names no screen of the admin UI. <a href={HOME}>Go to the orgs</a>.
      </p>
    </>
  );
}
