import { useEffect, useRef, useState } from 'preact/hooks';
import type { ApiClient, OrgList } from '../api.js';
import { ErrorMessage, Time } from '../components/common.js';
import { orgHref, orgsHref } from '../router.js';

const DEFAULT_LIMIT = 25;

interface Props {
  readonly api: ApiClient;
  /** The id prefix searched for ('' for every org), from the fragment. */
  readonly prefix: string;
  readonly limit: number | undefined;
}

/** Orgs in org id order, found by id prefix, a page at a time (a new search is a new instance: see the app's `key`). */
export function OrgsScreen({ api, prefix, limit }: Props) {
  const [input, setInput] = useState(prefix);
  // The cursor of each page visited, first page first: the previous page is one step back.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const [page, setPage] = useState<OrgList | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const [reload, setReload] = useState(0);
  const results = useRef<HTMLHeadingElement>(null);
  const moved = useRef(false);
  const cursor = cursors[cursors.length - 1];

  useEffect(() => {
    document.title = 'Orgs · Feature flags';
  }, []);

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    api
      .listOrgs({ prefix, limit: limit ?? DEFAULT_LIMIT, ...(cursor ? { cursor } : {}) }, controller.signal)
      .then((answer) => {
        setPage(answer);
        setError(null);
      })
      .catch((caught: unknown) => {
        if (!controller.signal.aborted) setError(caught);
      })
      .finally(() => {
        if (controller.signal.aborted) return;
        setLoading(false);
        if (moved.current) {
          moved.current = false;
          results.current?.focus();
        }
      });
    return () => controller.abort();
  }, [api, prefix, limit, cursor, reload]);

  const search = (event: Event) => {
    event.preventDefault();
    const next = orgsHref({ prefix: input.trim(), limit });
    if (next === window.location.hash) {
      setCursors([undefined]);
      setReload((n) => n + 1);
    } else window.location.hash = next;
  };

  const go = (to: 'next' | 'previous') => {
    moved.current = true;
    if (to === 'previous') setCursors((list) => (list.length > 1 ? list.slice(0, -1) : list));
    else if (page?.next_cursor) setCursors((list) => [...list, page.next_cursor ?? undefined]);
  };

  const pageNumber = cursors.length;
  return (
    <>
      <h1 tabIndex={-1}>Orgs</h1>
      <form class="search" role="search" onSubmit={search}>
        <label for="org-prefix">Org id starts with</label>
        <div class="search-row">
          <input
            id="org-prefix"
            type="search"
            name="prefix"
            value={input}
            onInput={(event) => setInput(event.currentTarget.value)}
            autoComplete="off"
            spellcheck={false}
            maxLength={64}
            aria-describedby="org-prefix-hint"
          />
          <button type="submit" class="button button-primary">
            Search
          </button>
        </div>
        <p id="org-prefix-hint" class="hint">
          Letters, digits, - and _. Leave it empty to list every org.
        </p>
      </form>

      {error ? <ErrorMessage error={error} /> : null}

      <section aria-labelledby="org-results" aria-busy={loading}>
        <h2 id="org-results" ref={results} tabIndex={-1}>
          {prefix ? (
            <>
              Orgs starting with <q>{prefix}</q>
            </>
          ) : (
            'All orgs'
          )}
          {pageNumber > 1 ? `, page ${pageNumber}` : ''}
        </h2>
        {page && page.orgs.length > 0 ? (
          <table class="orgs-table">
            <thead>
              <tr>
                <th scope="col">Org</th>
                <th scope="col">Provisioned</th>
                <th scope="col">Registry at provisioning</th>
                <th scope="col">Last synced to</th>
              </tr>
            </thead>
            <tbody>
              {page.orgs.map((org) => (
                <tr key={org.org_id}>
                  <th scope="row" data-label="Org">
                    <a href={orgHref(org.org_id)}>{org.org_id}</a>
                  </th>
                  <td data-label="Provisioned">
                    <Time value={org.provisioned_at} />
                  </td>
                  <td data-label="Registry at provisioning">
                    <code title={org.registry_version}>{shortVersion(org.registry_version)}</code>
                  </td>
                  <td data-label="Last synced to">
                    {org.synced_registry_version ? <code title={org.synced_registry_version}>{shortVersion(org.synced_registry_version)}</code> : 'not yet'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : page && !loading ? (
          <p>{prefix ? `No org id starts with “${prefix}”.` : 'No org has been provisioned yet.'}</p>
        ) : loading ? (
          <p class="loading">Loading…</p>
        ) : null}
        <nav class="pager" aria-label="Pages of orgs">
          <button type="button" class="button" onClick={() => go('previous')} disabled={pageNumber === 1 || loading}>
            Previous page
          </button>
          <span class="pager-page">Page {pageNumber}</span>
          <button type="button" class="button" onClick={() => go('next')} disabled={!page?.next_cursor || loading}>
            Next page
          </button>
        </nav>
      </section>
    </>
  );
}

/** Registry versions are content hashes: a prefix tells them apart. */
function shortVersion(version: string): string {
  return version.length > 12 ? version.slice(0, 12) : version;
}
