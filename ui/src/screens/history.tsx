import './history.css';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import {
  ApiError,
  type ApiClient,
  type FlagHistory,
  type FlagRegistry,
  type HistoryEntry,
  type OrgHistory,
} from '../api.js';
import { ErrorMessage, Time } from '../components/common.js';
import { Pager, usePagedList } from '../components/paging.js';
import { flagHref, orgHistoryHref, orgHref } from '../router.js';

const PAGE_SIZE = 25;

const SOURCES: Record<HistoryEntry['source'], string> = {
  provisioned: 'provisioned',
  synced: 'registry sync',
  admin: 'admin',
};

interface OrgHistoryProps {
  readonly api: ApiClient;
  readonly orgId: string;
  /** Only this flag's changes; every flag's when undefined. From the fragment. */
  readonly flagKey: string | undefined;
  readonly pollSeconds: number;
}

/** One org's changes, newest first, optionally of one flag chosen from the registry. */
export function OrgHistoryScreen({ api, orgId, flagKey, pollSeconds }: OrgHistoryProps) {
  const [registry, setRegistry] = useState<FlagRegistry | null>(null);
  useEffect(() => {
    document.title = `History of ${orgId} · Feature flags`;
  }, [orgId]);
  useEffect(() => {
    const controller = new AbortController();
    api.listFlags(controller.signal).then(setRegistry, () => undefined);
    return () => controller.abort();
  }, [api]);
  // A button applies the choice: the address, and with it the screen, changes only when asked.
  const filter = (event: Event) => {
    event.preventDefault();
    const key = new FormData(event.currentTarget as HTMLFormElement).get('key');
    window.location.hash = orgHistoryHref(orgId, typeof key === 'string' && key ? key : undefined);
  };
  const fetchPage = useCallback(
    (cursor: string | undefined, signal: AbortSignal) =>
      api.getOrgHistory(orgId, { key: flagKey, limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) }, signal),
    [api, orgId, flagKey],
  );

  return (
    <>
      <div class="screen-heading">
        <p class="breadcrumb">
          <a href={orgHref(orgId)}>{orgId}</a>
        </p>
        <h1 tabIndex={-1}>
          History <span class="visually-hidden">of {orgId}</span>
        </h1>
      </div>
      <form class="history-filter" onSubmit={filter}>
        <label for="history-key">Flag</label>
        <select id="history-key" name="key" value={flagKey ?? ''}>
          <option value="">All flags</option>
          {(registry?.flags ?? []).map((flag) => (
            <option key={flag.key} value={flag.key}>
              {flag.key}
            </option>
          ))}
          {flagKey && registry && !registry.flags.some((flag) => flag.key === flagKey) ? (
            <option value={flagKey}>{flagKey}</option>
          ) : null}
        </select>
        <button type="submit" class="button">
          Show
        </button>
      </form>
      <Changes
        fetchPage={fetchPage}
        pollSeconds={pollSeconds}
        show="key"
        heading={flagKey ? `Changes of ${flagKey}` : 'Changes'}
        empty={flagKey ? `No change of ${flagKey} in ${orgId} yet.` : `No change in ${orgId} yet.`}
      />
    </>
  );
}

interface FlagHistoryProps {
  readonly api: ApiClient;
  readonly flagKey: string;
  readonly pollSeconds: number;
}

/** One flag's changes across every org, newest first. */
export function FlagHistoryScreen({ api, flagKey, pollSeconds }: FlagHistoryProps) {
  useEffect(() => {
    document.title = `History of ${flagKey} · Feature flags`;
  }, [flagKey]);
  const fetchPage = useCallback(
    (cursor: string | undefined, signal: AbortSignal) =>
      api.getFlagHistory(flagKey, { limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) }, signal),
    [api, flagKey],
  );
  return (
    <>
      <div class="screen-heading">
        <p class="breadcrumb">
          <a href={flagHref(flagKey)}>{flagKey}</a>
        </p>
        <h1 tabIndex={-1}>
          History <span class="visually-hidden">of {flagKey}</span>
        </h1>
      </div>
      <Changes
        fetchPage={fetchPage}
        pollSeconds={pollSeconds}
        show="org"
        heading="Changes in every org"
        empty={`No org's ${flagKey} has changed yet.`}
      />
    </>
  );
}

interface ChangesProps {
  readonly fetchPage: (cursor: string | undefined, signal: AbortSignal) => Promise<OrgHistory | FlagHistory>;
  readonly pollSeconds: number;
  /** The column that names what changed: the flag (one org's history) or the org (one flag's). */
  readonly show: 'key' | 'org';
  readonly heading: string;
  readonly empty: string;
}

/** The changes, a page at a time; on the first page, new ones appear as they are made. */
function Changes({ fetchPage, pollSeconds, show, heading, empty }: ChangesProps) {
  const [notice, setNotice] = useState('');
  const [fresh, setFresh] = useState<ReadonlySet<string>>(new Set());
  // Only the first page follows new changes: a person reading older ones is not disturbed.
  // Nor is a refusal (no such org, a bad key) asked again: waiting does not change it.
  const paused = useRef(false);
  const list = usePagedList(fetchPage, {
    pollSeconds,
    paused: () => paused.current,
    onPolled: (before, after) => {
      if (!before) return;
      const seen = new Set(before.changes.map((change) => change.change_id));
      const added = after.changes.filter((change) => !seen.has(change.change_id)).map((change) => change.change_id);
      if (added.length === 0) return;
      setFresh(new Set(added));
      setNotice(added.length === 1 ? '1 new change.' : `${added.length} new changes.`);
    },
  });
  paused.current =
    list.pageNumber > 1 || (list.error instanceof ApiError && (list.error.status === 400 || list.error.status === 404));
  const changes = list.page?.changes ?? [];

  return (
    <>
      <p class="live-notice" role="status">
        {notice}
      </p>
      {list.error ? <ErrorMessage error={list.error} /> : null}
      <section aria-labelledby="history-results" aria-busy={list.loading}>
        <h2 id="history-results" ref={list.resultsRef} tabIndex={-1}>
          {heading}
          {list.pageNumber > 1 ? `, page ${list.pageNumber}` : ''}
        </h2>
        {changes.length > 0 ? (
          <table class="orgs-table history-table">
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">{show === 'key' ? 'Flag' : 'Org'}</th>
                <th scope="col">Change</th>
                <th scope="col">Version</th>
                <th scope="col">Source</th>
                <th scope="col">Who</th>
                <th scope="col">Request</th>
              </tr>
            </thead>
            <tbody>
              {changes.map((change) => (
                <tr
                  key={change.change_id}
                  class={fresh.has(change.change_id) ? 'history-new' : undefined}
                  data-change={change.change_id}
                >
                  <td data-label="When">
                    <Time value={change.changed_at} />
                  </td>
                  <th scope="row" data-label={show === 'key' ? 'Flag' : 'Org'}>
                    {show === 'key' ? (
                      <a href={flagHref(change.key)}>{change.key}</a>
                    ) : (
                      <a href={orgHref(change.org_id)}>{change.org_id}</a>
                    )}
                  </th>
                  <td data-label="Change">
                    <span class="history-change">
                      {onOff(change.previous_enabled)} → <strong>{onOff(change.enabled)}</strong>
                    </span>
                  </td>
                  <td data-label="Version">{change.version}</td>
                  <td data-label="Source">{SOURCES[change.source]}</td>
                  <td data-label="Who">
                    <span class="history-who">{change.changed_by_email ?? change.changed_by}</span>
                    {change.changed_by_email ? <span class="history-subject"> ({change.changed_by})</span> : null}
                  </td>
                  <td data-label="Request">
                    <code class="history-request">{change.request_id}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : list.page && !list.loading ? (
          <p>{list.pageNumber > 1 ? 'No older changes.' : empty}</p>
        ) : list.loading ? (
          <p class="loading">Loading…</p>
        ) : null}
        <Pager label="Pages of changes" list={list} previousLabel="Newer" nextLabel="Older" />
      </section>
    </>
  );
}

function onOff(enabled: boolean): string {
  return enabled ? 'on' : 'off';
}
