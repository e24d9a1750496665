import type { FlagDefinition, Registry } from '../../registry/index.js';
import type { FlagRow } from './flags.js';

/** How many org ids the report names per flag and side; counts are always complete. */
export const REPORT_ORG_SAMPLE = 20;

/** One flag's tally while the report job pages through the orgs. */
export interface FlagTally {
  on: number;
  off: number;
  /** Orgs with no row for the flag (counted on or off by the registry default). */
  at_default: number;
  latest_enabled_at: string | null;
  on_orgs: string[];
  off_orgs: string[];
}

/** The report under construction, carried on the job from page to page. */
export interface FleetReportState {
  orgs: number;
  flags: Record<string, FlagTally>;
  orphans_by_key: Record<string, number>;
}

export type StaleFinding = 'past_cleanup_date' | 'on_everywhere_long_ago' | 'off_everywhere';

/** One registry flag in the report. */
export interface FlagReport {
  key: string;
  owner: string;
  internal_only: boolean;
  permanent: boolean;
  cleanup_after: string | null;
  orgs_on: number;
  orgs_off: number;
  orgs_at_default: number;
  latest_enabled_at: string | null;
  state: 'on_everywhere' | 'off_everywhere' | 'mixed' | 'no_orgs';
  findings: StaleFinding[];
  /** For a mixed flag, the orgs on the smaller side: off while most are on, or the reverse. */
  held_back_by: { value: boolean; orgs_count: number; org_ids: string[] } | null;
}

/** The stale-flag report: per flag, the lists a team acts on, and rows of keys no longer in the registry. */
export interface StaleReport {
  generated_at: string;
  registry_version: string;
  stale_days: number;
  /** False for a report made from the registry alone, without reading any org. */
  includes_orgs: boolean;
  orgs: number;
  flags: FlagReport[];
  /** Temporary flags past their `cleanup_after` date. */
  past_due: string[];
  /** Temporary flags on for every org, last turned on longer ago than `stale_days`: remove them or make them permanent. */
  ready_to_remove: string[];
  /** Temporary flags off for every org. */
  off_everywhere: string[];
  /** Mixed flags, with the orgs that hold each back in `flags[].held_back_by`. */
  held_back: string[];
  orphans_by_key: Record<string, number>;
}

export const DEFAULT_STALE_DAYS = 30;

export function emptyReportState(): FleetReportState {
  return { orgs: 0, flags: {}, orphans_by_key: {} };
}

function tallyOf(state: FleetReportState, key: string): FlagTally {
  state.flags[key] ??= { on: 0, off: 0, at_default: 0, latest_enabled_at: null, on_orgs: [], off_orgs: [] };
  return state.flags[key];
}

/** Adds one org's rows to the report (mutates and returns `state`). */
export function addOrgToReport(
  state: FleetReportState,
  registry: Registry,
  orgId: string,
  rows: readonly FlagRow[],
): FleetReportState {
  state.orgs += 1;
  const byKey = new Map(rows.map((row) => [row.key, row]));
  for (const flag of registry.flags) {
    const tally = tallyOf(state, flag.key);
    const row = byKey.get(flag.key);
    const enabled = row ? row.enabled : flag.default_enabled;
    if (!row) tally.at_default += 1;
    if (enabled) {
      tally.on += 1;
      if (tally.on_orgs.length < REPORT_ORG_SAMPLE) tally.on_orgs.push(orgId);
      const since = row?.enabledAt;
      if (since && (tally.latest_enabled_at === null || since > tally.latest_enabled_at))
        tally.latest_enabled_at = since;
    } else {
      tally.off += 1;
      if (tally.off_orgs.length < REPORT_ORG_SAMPLE) tally.off_orgs.push(orgId);
    }
  }
  for (const row of rows) {
    if (!registry.byKey.has(row.key)) state.orphans_by_key[row.key] = (state.orphans_by_key[row.key] ?? 0) + 1;
  }
  return state;
}

const isPastDue = (flag: FlagDefinition, today: string) =>
  flag.cleanup_after !== undefined && flag.cleanup_after < today;

function flagReport(
  flag: FlagDefinition,
  tally: FlagTally | undefined,
  today: string,
  staleBefore: string,
): FlagReport {
  const on = tally?.on ?? 0;
  const off = tally?.off ?? 0;
  const state: FlagReport['state'] =
    on + off === 0 ? 'no_orgs' : off === 0 ? 'on_everywhere' : on === 0 ? 'off_everywhere' : 'mixed';
  const temporary = flag.permanent !== true;
  const findings: StaleFinding[] = [];
  if (isPastDue(flag, today)) findings.push('past_cleanup_date');
  const latest = tally?.latest_enabled_at ?? null;
  if (temporary && state === 'on_everywhere' && latest !== null && latest < staleBefore)
    findings.push('on_everywhere_long_ago');
  if (temporary && state === 'off_everywhere') findings.push('off_everywhere');
  let heldBackBy: FlagReport['held_back_by'] = null;
  if (state === 'mixed' && tally) {
    const value = on < off;
    heldBackBy = { value, orgs_count: value ? on : off, org_ids: value ? tally.on_orgs : tally.off_orgs };
  }
  return {
    key: flag.key,
    owner: flag.owner,
    internal_only: flag.internal_only,
    permanent: !temporary,
    cleanup_after: flag.cleanup_after ?? null,
    orgs_on: on,
    orgs_off: off,
    orgs_at_default: tally?.at_default ?? 0,
    latest_enabled_at: latest,
    state,
    findings,
    held_back_by: heldBackBy,
  };
}

/**
 * The finished report. `includesOrgs: false` makes it from the registry alone (the past-due
 * check a pipeline can run without a deployed service).
 */
export function finishReport(
  state: FleetReportState,
  registry: Registry,
  options: { now: Date; staleDays: number; includesOrgs: boolean },
): StaleReport {
  const today = options.now.toISOString().slice(0, 10);
  const staleBefore = new Date(options.now.getTime() - options.staleDays * 86_400_000).toISOString();
  const flags = registry.flags.map((flag) => flagReport(flag, state.flags[flag.key], today, staleBefore));
  const withFinding = (finding: StaleFinding) => flags.filter((f) => f.findings.includes(finding)).map((f) => f.key);
  return {
    generated_at: options.now.toISOString(),
    registry_version: registry.version,
    stale_days: options.staleDays,
    includes_orgs: options.includesOrgs,
    orgs: state.orgs,
    flags,
    past_due: withFinding('past_cleanup_date'),
    ready_to_remove: withFinding('on_everywhere_long_ago'),
    off_everywhere: withFinding('off_everywhere'),
    held_back: flags.filter((f) => f.held_back_by !== null).map((f) => f.key),
    orphans_by_key: state.orphans_by_key,
  };
}
