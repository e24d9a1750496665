import { useCallback, useEffect, useState } from 'preact/hooks';
import type { ApiClient, OrgList } from '../api.js';
import { ErrorMessage, Time } from '../components/common.js';
import { Pager, usePagedList } from '../components/paging.js';
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

  useEffect(() => {
    document.title = 'Orgs · Feature flags';
  }, []);

  const fetchPage = useCallback(
    (cursor: string | undefined, signal: AbortSignal) =>
      api.listOrgs({ prefix, limit: limit ?? DEFAULT_LIMIT, ...(cursor ? { cursor } : {}) }, signal),
    [api, prefix, limit],
  );
  const list = usePagedList<OrgList>(fetchPage);
  const { page, loading, pageNumber } = list;

  const search = (event: Event) => {
    event.preventDefault();
    const next = orgsHref({ prefix: input.trim(), limit });
    // The same search again starts again from its first page; another one is a new address (and a new screen).
    if (next === window.location.hash) list.restart();
    else window.location.hash = next;
  };

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

      {list.error ? <ErrorMessage error={list.error} /> : null}

      <section aria-labelledby="org-results" aria-busy={loading}>
        <h2 id="org-results" ref={list.resultsRef} tabIndex={-1}>
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
                    {org.synced_registry_version ? (
                      <code title={org.synced_registry_version}>{shortVersion(org.synced_registry_version)}</code>
                    ) : (
                      'not yet'
                    )}
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
        <Pager label="Pages of orgs" list={list} />
      </section>
    </>
  );
}

/** Registry versions are content hashes: a prefix tells them apart. */
function shortVersion(version: string): string {
  return version.length > 12 ? version.slice(0, 12) : version;
}
