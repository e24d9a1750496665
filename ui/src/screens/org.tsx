import { memo } from 'preact/compat';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import {
  ApiError,
  SessionExpiredError,
  VersionConflictError,
  type ApiClient,
  type MergedFlag,
  type OrgFlags,
} from '../api.js';
import { ErrorMessage, Time, who } from '../components/common.js';
import { usePolling } from '../components/polling.js';
import { flagHref, orgHistoryHref, orgsHref } from '../router.js';

interface Props {
  readonly api: ApiClient;
  readonly orgId: string;
  /** Service tokens see everything and change nothing. */
  readonly readOnly: boolean;
  readonly pollSeconds: number;
}

/** What one flag's row shows beside the flag: a change in flight, a conflict, or an error. */
interface RowState {
  /** The value being written. */
  readonly pending?: boolean;
  /** The write was refused because someone changed the flag meanwhile; `intended` is what this person asked for. */
  readonly conflict?: { readonly intended: boolean; readonly current: MergedFlag | null };
  readonly error?: unknown;
}

const READ_ONLY_REASON = 'read-only: service token';
/** The state of a row with nothing to show beside its flag: one object, so that an unchanged row is not drawn again. */
const QUIET: RowState = {};

/**
 * One org: every registry flag in registry order, with a switch each. Writes name the version
 * shown; the page asks for the org again every `pollSeconds` while it is visible, so changes
 * made by others appear, without overwriting a flag whose write is in flight.
 */
export function OrgScreen({ api, orgId, readOnly, pollSeconds }: Props) {
  const [org, setOrg] = useState<OrgFlags | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const [rows, setRows] = useState<Readonly<Record<string, RowState>>>({});
  const [notice, setNotice] = useState('');
  const inFlight = useRef(new Set<string>());
  // Writes finished so far, and the count at each key's last one: a read that started before
  // a write to a key finished may not overwrite that key.
  const writesDone = useRef(0);
  const lastWrite = useRef(new Map<string, number>());
  // An org that does not exist (404) is not asked for again.
  const missing = useRef(false);

  useEffect(() => {
    document.title = `${orgId} · Orgs · Feature flags`;
  }, [orgId]);

  const setRow = useCallback((key: string, state: RowState) => setRows((all) => ({ ...all, [key]: state })), []);
  const dismiss = useCallback((key: string) => setRow(key, QUIET), [setRow]);

  const replaceFlag = useCallback((flag: MergedFlag) => {
    setOrg((current) =>
      current ? { ...current, flags: current.flags.map((f) => (f.key === flag.key ? flag : f)) } : current,
    );
  }, []);

  const load = useCallback(
    async (signal: AbortSignal, initial: boolean) => {
      const startedAt = writesDone.current;
      try {
        const fresh = await api.getOrgFlags(orgId, signal);
        const keep = (key: string) => inFlight.current.has(key) || (lastWrite.current.get(key) ?? -1) > startedAt;
        setOrg((current) => {
          if (!current || initial) return fresh;
          const changes = fresh.flags.filter((flag) => {
            const shown = current.flags.find((f) => f.key === flag.key);
            return (
              !keep(flag.key) && shown && shown.version !== flag.version && shown.user_enabled !== flag.user_enabled
            );
          });
          if (changes.length > 0)
            setNotice(
              changes
                .map(
                  (flag) => `${flag.key} was turned ${flag.user_enabled ? 'on' : 'off'} by ${who(flag) ?? 'someone'}.`,
                )
                .join(' '),
            );
          return {
            ...fresh,
            flags: fresh.flags.map((flag) =>
              keep(flag.key) ? (current.flags.find((f) => f.key === flag.key) ?? flag) : flag,
            ),
          };
        });
        setLoadError(null);
      } catch (error) {
        if (signal.aborted) return;
        // A failed poll keeps the page as it is; the error shows until a poll succeeds.
        if (error instanceof ApiError && error.status === 404) missing.current = true;
        setLoadError(error);
      }
    },
    [api, orgId],
  );

  useEffect(() => {
    const controller = new AbortController();
    void load(controller.signal, true);
    return () => controller.abort();
  }, [load]);

  const poll = useCallback(
    (signal: AbortSignal) => (missing.current ? Promise.resolve() : load(signal, false)),
    [load],
  );
  usePolling(poll, pollSeconds);

  const write = useCallback(
    async (flag: MergedFlag, enabled: boolean) => {
      if (readOnly || inFlight.current.has(flag.key)) return;
      inFlight.current.add(flag.key);
      setRow(flag.key, { pending: enabled });
      try {
        const result = await api.setOrgFlag({ org_id: orgId, key: flag.key, enabled, version: flag.version });
        replaceFlag(result.flag);
        setRow(flag.key, QUIET);
      } catch (error) {
        if (error instanceof VersionConflictError) {
          if (error.current) replaceFlag(error.current);
          setRow(flag.key, { conflict: { intended: enabled, current: error.current } });
        } else if (error instanceof SessionExpiredError) setRow(flag.key, QUIET);
        else setRow(flag.key, { error });
      } finally {
        inFlight.current.delete(flag.key);
        writesDone.current += 1;
        lastWrite.current.set(flag.key, writesDone.current);
      }
    },
    [api, orgId, readOnly, replaceFlag, setRow],
  );

  if (!org) {
    return (
      <>
        <Heading orgId={orgId} />
        {loadError ? <ErrorMessage error={loadError} /> : <p class="loading">Loading…</p>}
      </>
    );
  }

  return (
    <>
      <Heading orgId={orgId} />
      <dl class="org-facts">
        <div>
          <dt>Flags</dt>
          <dd>{org.flags.length}</dd>
        </div>
        <div>
          <dt>Registry in force</dt>
          <dd>
            <code title={org.registry_version}>{org.registry_version.slice(0, 12)}</code>
          </dd>
        </div>
        <div>
          <dt>Provisioned with</dt>
          <dd>
            <code title={org.provisioned_registry_version}>{org.provisioned_registry_version.slice(0, 12)}</code>
          </dd>
        </div>
        <div>
          <dt>Last synced to</dt>
          <dd>
            {org.synced_registry_version ? (
              <code title={org.synced_registry_version}>{org.synced_registry_version.slice(0, 12)}</code>
            ) : (
              'not yet'
            )}
          </dd>
        </div>
      </dl>
      {readOnly ? (
        <p class="message message-info" id="read-only-reason">
          <strong>Read-only: service token.</strong> You can see every flag; only an admin can change them.
        </p>
      ) : null}
      {loadError ? <ErrorMessage error={loadError} /> : null}
      <p class="live-notice" role="status">
        {notice}
      </p>
      <ul class="flags" aria-label={`Flags of ${orgId}`}>
        {org.flags.map((flag) => (
          <FlagRow
            key={flag.key}
            orgId={orgId}
            flag={flag}
            row={rows[flag.key] ?? QUIET}
            readOnly={readOnly}
            onWrite={write}
            onDismiss={dismiss}
          />
        ))}
      </ul>
    </>
  );
}

function Heading({ orgId }: { orgId: string }) {
  return (
    <div class="screen-heading">
      <p class="breadcrumb">
        <a href={orgsHref()}>Orgs</a>
      </p>
      <h1 tabIndex={-1}>
        <span class="visually-hidden">Org </span>
        {orgId}
      </h1>
      <p class="screen-links">
        <a href={orgHistoryHref(orgId)}>History of {orgId}</a>
      </p>
    </div>
  );
}

interface FlagRowProps {
  readonly orgId: string;
  readonly flag: MergedFlag;
  readonly row: RowState;
  readonly readOnly: boolean;
  readonly onWrite: (flag: MergedFlag, enabled: boolean) => void;
  readonly onDismiss: (key: string) => void;
}

const SOURCES: Record<MergedFlag['source'], string> = {
  provisioned: 'provisioned with the org',
  synced: 'added by a registry sync',
  admin: 'set by an admin',
  registry_default: 'no row yet: the registry default',
};

/** One flag of the org; drawn again only when its own props change (an org may have hundreds). */
const FlagRow = memo(function FlagRow({ orgId, flag, row, readOnly, onWrite, onDismiss: dismissKey }: FlagRowProps) {
  const id = `flag-${flag.key}`;
  const onDismiss = () => dismissKey(flag.key);
  const pending = row.pending !== undefined;
  const shown = pending ? (row.pending as boolean) : flag.user_enabled;
  const writer = who(flag);
  const describedBy = [
    `${id}-description`,
    readOnly ? 'read-only-reason' : null,
    row.conflict || row.error ? `${id}-problem` : null,
  ]
    .filter(Boolean)
    .join(' ');

  const onClick = (event: MouseEvent) => {
    // A second click while the first write is under way changes nothing.
    if (pending) event.preventDefault();
  };
  const onChange = (event: Event) => {
    const input = event.currentTarget as HTMLInputElement;
    onWrite(flag, input.checked);
  };

  return (
    <li class={`flag${pending ? ' flag-pending' : ''}${row.conflict ? ' flag-conflict' : ''}`} data-flag={flag.key}>
      <div class="flag-switch">
        <input
          id={id}
          class="switch"
          type="checkbox"
          role="switch"
          checked={shown}
          disabled={readOnly}
          aria-describedby={describedBy}
          aria-busy={pending}
          onClick={onClick}
          onChange={onChange}
        />
        <label for={id} class="flag-key">
          {flag.key}
        </label>
        <span class={`state state-${shown ? 'on' : 'off'}`} aria-hidden="true">
          {pending ? 'Saving…' : shown ? 'On' : 'Off'}
        </span>
        {readOnly ? (
          <span class="read-only-tag" title="Only an admin can change flags">
            {READ_ONLY_REASON}
          </span>
        ) : null}
      </div>
      <div class="flag-body">
        <p id={`${id}-description`} class="flag-description">
          {flag.description}
        </p>
        <p class="flag-markers">
          {flag.is_default ? <span class="marker marker-default">registry default</span> : null}
          {flag.internal_only ? <span class="marker marker-internal">internal</span> : null}
        </p>
        <p class="flag-meta">
          <span>Source: {SOURCES[flag.source]}</span>
          {writer || flag.updated_at ? (
            <span>
              Last changed
              {writer ? (
                <>
                  {' '}
                  by <span class="flag-writer">{writer}</span>
                </>
              ) : null}
              {flag.updated_at ? (
                <>
                  {' '}
                  at <Time value={flag.updated_at} />
                </>
              ) : null}
            </span>
          ) : null}
          <span class="flag-links">
            <a href={orgHistoryHref(orgId, flag.key)} aria-label={`History of ${flag.key} in ${orgId}`}>
              History
            </a>{' '}
            ·{' '}
            <a href={flagHref(flag.key)} aria-label={`${flag.key} in every org`}>
              Every org
            </a>
          </span>
        </p>
        {row.conflict ? (
          <Conflict id={`${id}-problem`} flag={flag} conflict={row.conflict} onWrite={onWrite} onDismiss={onDismiss} />
        ) : null}
        {row.error ? (
          <div id={`${id}-problem`}>
            <ErrorMessage error={row.error}>
              <button type="button" class="button button-small" onClick={onDismiss}>
                Dismiss
              </button>
            </ErrorMessage>
          </div>
        ) : null}
      </div>
    </li>
  );
});

interface ConflictProps {
  readonly id: string;
  readonly flag: MergedFlag;
  readonly conflict: NonNullable<RowState['conflict']>;
  readonly onWrite: (flag: MergedFlag, enabled: boolean) => void;
  readonly onDismiss: () => void;
}

/** The write was refused: who changed the flag meanwhile and when, its state now, and the choice to apply the change on top of it. */
function Conflict({ id, flag, conflict, onWrite, onDismiss }: ConflictProps) {
  const { intended, current } = conflict;
  const state = (on: boolean) => (on ? 'on' : 'off');
  const byWhom = current ? (who(current) ?? 'someone') : 'someone';
  const when = current?.updated_at ? (
    <>
      {' '}
      at <Time value={current.updated_at} />
    </>
  ) : null;
  if (current && current.user_enabled === intended) {
    return (
      <div id={id} class="message message-warning" role="alert">
        <p>
          <strong>{byWhom}</strong> turned {flag.key} {state(intended)} meanwhile{when}. It is {state(intended)} now, as
          you wanted.
        </p>
        <button type="button" class="button button-small" onClick={onDismiss}>
          Dismiss
        </button>
      </div>
    );
  }
  return (
    <div id={id} class="message message-warning" role="alert">
      <p>
        Not changed: <strong>{byWhom}</strong> changed {flag.key} meanwhile{when}. It is {state(flag.user_enabled)} now.
      </p>
      <div class="button-row">
        <button type="button" class="button button-primary button-small" onClick={() => onWrite(flag, intended)}>
          Turn it {state(intended)} anyway
        </button>
        <button type="button" class="button button-small" onClick={onDismiss}>
          Keep it {state(flag.user_enabled)}
        </button>
      </div>
    </div>
  );
}
