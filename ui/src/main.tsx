import { render } from 'preact';
import { App } from './app.js';
import { createAuth } from './auth/index.js';
import { HOME } from './router.js';
import { loadSettings } from './load-settings.js';
import './styles.css';

/** Loads the settings, completes a sign-in the page was opened with, and shows the app. */
async function boot(root: HTMLElement): Promise<void> {
  try {
    const settings = await loadSettings();
    const auth = createAuth(settings);
    const { session, returnTo } = await auth.start();
    if (returnTo !== undefined) {
      window.history.replaceState(
        null,
        '',
        `${window.location.pathname}${returnTo.startsWith('#/') ? returnTo : HOME}`,
      );
    }
    if (!window.location.hash.startsWith('#/'))
      window.history.replaceState(null, '', `${window.location.pathname}${HOME}`);
    render(<App settings={settings} auth={auth} session={session} />, root);
  } catch (error) {
    render(<BootError error={error} />, root);
  }
}

function BootError({ error }: { error: unknown }) {
  return (
    <main id="main" class="page-narrow">
      <p class="brand">Feature flags</p>
      <h1>The admin UI could not start</h1>
      <div class="message message-error" role="alert">
        <p>{error instanceof Error ? error.message : String(error)}</p>
      </div>
      <p>
        <a href="./">Try again</a>
      </p>
    </main>
  );
}

const root = document.getElementById('app');
if (root) void boot(root);
