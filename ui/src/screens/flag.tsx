import './flag.css';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { MAX_BULK_ORGS } from '../../../lambdas/domain/limits.js';
import type { ApiClient, BulkChange, BulkOrgResult, FlagOrgs } from '../api.js';
import { ErrorMessage, plural, Time, who } from '../components/common.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { Pager, usePagedList } from '../components/paging.js';
import { flagHistoryHref, flagHref, flagsHref, orgHref } from '../router.js';

const PAGE_SIZE = 25;

interface Props {
  readonly api: ApiClient;
  readonly flagKey: string;
  /** Only orgs with the flag on (true) or off (false); every org when undefined. From the fragment. */
  readonly enabled: boolean | undefined;
  /** Orgs per page, from the fragment; 25 unless given. */
  readonly limit: number | undefined;
  readonly readOnly: boolean;
  readonly pollSeconds: number;
}

const SOURCES: Record<FlagOrgs['orgs'][number]['source'], string> = {
  provisioned: 'provisioned',
  synced: 'registry sync',
  admin: 'admin',
  registry_default: 'no row yet',
};

const RESULTS: Record<BulkOrgResult['result'], string> = {
  changed: 'changed',
  unchanged: 'already so',
  org_not_found: 'org not found',
  conflict: 'changed meanwhile, not set',
  error: 'failed',
};

const FILTERS = [
  { label: 'All', enabled: undefined },
  { label: 'On', enabled: true },
  { label: 'Off', enabled: false },
] as const;

/**
 * One flag across every org, a page at a time, filtered on or off; an admin selects orgs on the
 * page and sets them all at once, after a confirmation naming how many, and sees each org's result.
 */
export function FlagScreen({ api, flagKey, enabled, limit, readOnly, pollSeconds }: Props) {
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [confirming, setConfirming] = useState<boolean | null>(null);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<BulkChange | null>(null);
  const [bulkError, setBulkError] = useState<unknown>(null);
  const busyRef = useRef(false);
  busyRef.current = busy || confirming !== null;
  const resultsHeading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    document.title = `${flagKey} · Flags · Feature flags`;
  }, [flagKey]);

  const fetchPage = useCallback(
    (cursor: string | undefined, signal: AbortSignal) =>
      api.listFlagOrgs(flagKey, { enabled, limit: limit ?? PAGE_SIZE, ...(cursor ? { cursor } : {}) }, signal),
    [api, flagKey, enabled, limit],
  );
  const list = usePagedList(fetchPage, { pollSeconds, paused: () => busyRef.current });
  const page = list.page;
  const orgs = page?.orgs ?? [];

  // A new page (or a new filter) starts with nothing selected.
  useEffect(() => setSelected(new Set()), [list.pageNumber]);

  useEffect(() => {
    if (outcome || bulkError) resultsHeading.current?.focus();
  }, [outcome, bulkError]);

  const toggleOrg = (orgId: string, on: boolean) =>
    setSelected((current) => {
      const next = new Set(current);
      if (on) next.add(orgId);
      else next.delete(orgId);
      return next;
    });
  const allOnPage = orgs.length > 0 && orgs.every((org) => selected.has(org.org_id));

  const apply = async (value: boolean) => {
    const orgIds = orgs.map((org) => org.org_id).filter((orgId) => selected.has(orgId));
    setConfirming(null);
    setBusy(true);
    setOutcome(null);
    setBulkError(null);
    try {
      setOutcome(await api.bulkSetFlag(flagKey, { org_ids: orgIds, enabled: value }));
      setSelected(new Set());
    } catch (error) {
      setBulkError(error);
    } finally {
      setBusy(false);
      list.reload();
    }
  };

  const count = selected.size;
  const tooMany = count > MAX_BULK_ORGS;
  const describedBy = readOnly ? 'read-only-reason' : tooMany ? 'bulk-limit' : undefined;
  return (
    <>
      <div class="screen-heading">
        <p class="breadcrumb">
          <a href={flagsHref()}>Flags</a>
        </p>
        <h1 tabIndex={-1}>
          <span class="visually-hidden">Flag </span>
          {flagKey}
        </h1>
        <p class="screen-links">
          <a href={flagHistoryHref(flagKey)}>History of {flagKey}</a>
        </p>
      </div>

      {page ? (
        <div class="flag-definition">
          <p>{page.flag.description}</p>
          <dl class="org-facts">
            <div>
              <dt>Owner</dt>
              <dd>{page.flag.owner}</dd>
            </div>
            <div>
              <dt>Registry default</dt>
              <dd>{page.flag.default_enabled ? 'on' : 'off'}</dd>
            </div>
            <div>
              <dt>Created</dt>
              <dd>{page.flag.created}</dd>
            </div>
            <div>
              <dt>Clean up after</dt>
              <dd>{page.flag.permanent ? 'permanent' : (page.flag.cleanup_after ?? 'not set')}</dd>
            </div>
            {page.flag.internal_only ? (
              <div>
                <dt>Visibility</dt>
                <dd>
                  <span class="marker marker-internal">internal</span>
                </dd>
              </div>
            ) : null}
          </dl>
        </div>
      ) : null}

      {readOnly ? (
        <p class="message message-info" id="read-only-reason">
          <strong>Read-only: service token.</strong> You can see every org's state; only an admin can change it.
        </p>
      ) : null}

      <nav class="filter" aria-label="Show orgs">
        {FILTERS.map((filter) => (
          <a
            key={filter.label}
            class="filter-option"
            href={flagHref(flagKey, { enabled: filter.enabled, limit })}
            aria-current={filter.enabled === enabled ? 'page' : undefined}
          >
            {filter.label}
          </a>
        ))}
      </nav>

      {list.error ? <ErrorMessage error={list.error} /> : null}

      <section aria-labelledby="flag-orgs" aria-busy={list.loading}>
        <h2 id="flag-orgs" ref={list.resultsRef} tabIndex={-1}>
          {enabled === undefined ? 'Every org' : enabled ? 'Orgs with it on' : 'Orgs with it off'}
          {list.pageNumber > 1 ? `, page ${list.pageNumber}` : ''}
        </h2>
        <div class="bulk-bar" role="group" aria-label="Set the selected orgs">
          <span class="bulk-count" aria-live="polite">
            {count === 0 ? 'No org selected' : count === 1 ? '1 org selected' : `${count} orgs selected`}
          </span>
          <button
            type="button"
            class="button"
            disabled={readOnly || count === 0 || tooMany || busy}
            onClick={() => setConfirming(true)}
            aria-describedby={describedBy}
          >
            Turn on…
          </button>
          <button
            type="button"
            class="button"
            disabled={readOnly || count === 0 || tooMany || busy}
            onClick={() => setConfirming(false)}
            aria-describedby={describedBy}
          >
            Turn off…
          </button>
          {tooMany ? (
            <span id="bulk-limit" class="hint">
              At most {MAX_BULK_ORGS} orgs at a time.
            </span>
          ) : null}
          {busy ? <span class="loading">Setting…</span> : null}
        </div>
        {orgs.length > 0 ? (
          <table class="orgs-table flag-orgs-table">
            <thead>
              <tr>
                <th scope="col" class="select-cell">
                  <input
                    type="checkbox"
                    aria-label="Select every org on this page"
                    checked={allOnPage}
                    disabled={readOnly || busy}
                    onChange={(event) =>
                      setSelected(event.currentTarget.checked ? new Set(orgs.map((org) => org.org_id)) : new Set())
                    }
                  />
                </th>
                <th scope="col">Org</th>
                <th scope="col">State</th>
                <th scope="col">Value from</th>
                <th scope="col">Last changed</th>
              </tr>
            </thead>
            <tbody>
              {orgs.map((org) => (
                <tr key={org.org_id} data-org={org.org_id}>
                  <td class="select-cell">
                    <input
                      type="checkbox"
                      aria-label={`Select ${org.org_id}`}
                      checked={selected.has(org.org_id)}
                      disabled={readOnly || busy}
                      onChange={(event) => toggleOrg(org.org_id, event.currentTarget.checked)}
                    />
                  </td>
                  <th scope="row" data-label="Org">
                    <a href={orgHref(org.org_id)}>{org.org_id}</a>
                  </th>
                  <td data-label="State">
                    <span class={`state state-${org.enabled ? 'on' : 'off'}`}>{org.enabled ? 'On' : 'Off'}</span>
                    {org.is_default ? <span class="marker marker-default">registry default</span> : null}
                  </td>
                  <td data-label="Value from">{SOURCES[org.source]}</td>
                  <td data-label="Last changed">
                    {org.updated_at ? (
                      <>
                        <Time value={org.updated_at} />
                        {who(org) ? <> by {who(org)}</> : null}
                      </>
                    ) : (
                      'never'
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : page && !list.loading ? (
          <p>
            {list.pageNumber > 1
              ? 'No more orgs.'
              : enabled === undefined
                ? 'No org has been provisioned yet.'
                : `No org has it ${enabled ? 'on' : 'off'}.`}
          </p>
        ) : list.loading ? (
          <p class="loading">Loading…</p>
        ) : null}
        <Pager label="Pages of orgs" list={list} />
      </section>

      {outcome || bulkError ? (
        <section class="bulk-results" aria-labelledby="bulk-results">
          <h2 id="bulk-results" ref={resultsHeading} tabIndex={-1}>
            Results
          </h2>
          {bulkError ? <ErrorMessage error={bulkError} /> : null}
          {outcome ? <BulkResults outcome={outcome} /> : null}
        </section>
      ) : null}

      {confirming !== null ? (
        <Confirm
          flagKey={flagKey}
          value={confirming}
          orgIds={orgs.map((org) => org.org_id).filter((orgId) => selected.has(orgId))}
          onConfirm={() => void apply(confirming)}
          onCancel={() => setConfirming(null)}
        />
      ) : null}
    </>
  );
}

/** The confirmation: what will be set, for how many orgs, and which. */
function Confirm({
  flagKey,
  value,
  orgIds,
  onConfirm,
  onCancel,
}: {
  flagKey: string;
  value: boolean;
  orgIds: readonly string[];
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const state = value ? 'on' : 'off';
  const orgs = plural(orgIds.length, 'org');
  return (
    <ConfirmDialog
      title={`Turn ${state} ${flagKey} for ${orgs}?`}
      confirmLabel={`Turn ${state} for ${orgs}`}
      onConfirm={onConfirm}
      onCancel={onCancel}
    >
      <p>
        Each org is an audited change of its own, with your name on it. Orgs that already have it {state} stay as they
        are.
      </p>
      <ul class="confirm-orgs">
        {orgIds.map((orgId) => (
          <li key={orgId}>{orgId}</li>
        ))}
      </ul>
    </ConfirmDialog>
  );
}

/** The counts, then one line per org: what happened to it. */
function BulkResults({ outcome }: { outcome: BulkChange }) {
  const counts = (Object.keys(RESULTS) as BulkOrgResult['result'][]).filter((result) => outcome.counts[result] > 0);
  return (
    <>
      <p role="status">
        Turned {outcome.key} {outcome.enabled ? 'on' : 'off'}:{' '}
        {counts.map((result) => `${outcome.counts[result]} ${RESULTS[result]}`).join(', ')}.
      </p>
      <table class="orgs-table">
        <thead>
          <tr>
            <th scope="col">Org</th>
            <th scope="col">Result</th>
          </tr>
        </thead>
        <tbody>
          {outcome.results.map((result) => (
            <tr key={result.org_id} data-result={result.result}>
              <th scope="row" data-label="Org">
                <a href={orgHref(result.org_id)}>{result.org_id}</a>
              </th>
              <td data-label="Result">
                {RESULTS[result.result]}
                {result.error ? <span class="error-code"> ({result.error.message})</span> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="hint">Request id {outcome.request_id}: every org's history entry carries it.</p>
    </>
  );
}
