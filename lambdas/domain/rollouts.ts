import { createHash, randomBytes } from 'node:crypto';
import type { FlagRow, OrgRecord } from './flags.js';
import { idStamp } from './ids.js';
import { matchesAttributes, type AttributeFilter } from './org-attributes.js';

/** The buckets an org can fall in for one flag: a percentage is counted in hundredths. */
export const BUCKETS = 10_000;

/**
 * The org's stable bucket for one flag, 0–9,999: the first 4 bytes of SHA-256("<key>:<org_id>")
 * as an unsigned big-endian integer, mod 10,000. Anyone can recompute it:
 * `parseInt(sha256hex(`${key}:${orgId}`).slice(0, 8), 16) % 10000`.
 */
export function bucketOf(key: string, orgId: string): number {
  return createHash('sha256').update(`${key}:${orgId}`).digest().readUInt32BE(0) % BUCKETS;
}

/** Whether an org in bucket `bucket` is in at `percent` % (1–100). In at p %, it is in at every higher percentage. */
export function inAtPercent(bucket: number, percent: number): boolean {
  return bucket < percent * (BUCKETS / 100);
}

/** Which orgs a rollout may reach, before its percentages: every condition given must hold. */
export interface Audience {
  /** For each named attribute, the values any one of which admits an org. */
  readonly attributes?: AttributeFilter;
  /** Only orgs provisioned before this time (exclusive). */
  readonly created_before?: string;
  /** Only orgs provisioned at or after this time. */
  readonly created_after?: string;
  /** Only these orgs. */
  readonly org_ids?: readonly string[];
  /** Never these orgs. */
  readonly exclude_org_ids?: readonly string[];
}

/** Whether the org is in the audience. */
export function inAudience(audience: Audience, org: OrgRecord): boolean {
  if (audience.org_ids && !audience.org_ids.includes(org.orgId)) return false;
  if (audience.exclude_org_ids?.includes(org.orgId)) return false;
  if (audience.created_before !== undefined && !(Date.parse(org.provisionedAt) < Date.parse(audience.created_before)))
    return false;
  if (audience.created_after !== undefined && !(Date.parse(org.provisionedAt) >= Date.parse(audience.created_after)))
    return false;
  return audience.attributes === undefined || matchesAttributes(org.attributes, audience.attributes);
}

/** One step of a rollout: the share of the audience it reaches, and when it starts by itself (else on `advance`). */
export interface RolloutStep {
  readonly percent: number;
  readonly at?: string;
}

/**
 * The step (numbered from 1) at which an org of this bucket enters: the first whose percentage
 * takes it in; undefined when even the last one does not.
 */
export function entryStep(steps: readonly RolloutStep[], bucket: number): number | undefined {
  const index = steps.findIndex((step) => inAtPercent(bucket, step.percent));
  return index === -1 ? undefined : index + 1;
}

/** What the rollout does to one org it reaches: write it, nothing (it holds the value), or leave a person's value. */
export type PreviewOutcome = 'will_change' | 'already' | 'held';

/** How a rollout treats rows a person set (`source: admin`): leave them (`keep`) or write them too (`include`). */
export type OverridePolicy = 'keep' | 'include';

/**
 * The outcome for one org: a row a person set is held (under `keep`), whatever its value; an org
 * at the value already (by its row, or by the registry default when it has none) needs nothing.
 */
export function previewOutcome(
  row: FlagRow | undefined,
  registryDefault: boolean,
  rollout: { readonly enabled: boolean; readonly overrides: OverridePolicy },
): PreviewOutcome {
  if (row?.source === 'admin' && rollout.overrides === 'keep') return 'held';
  return (row?.enabled ?? registryDefault) === rollout.enabled ? 'already' : 'will_change';
}

/** Where a rollout stands. Before it starts, its status follows its preview and approval. */
export const ROLLOUT_STATUSES = [
  'draft',
  'previewing',
  'ready',
  'approved',
  'running',
  'waiting',
  'paused',
  'completed',
  'aborted',
  'reverting',
  'reverted',
  'failed',
] as const;
export type RolloutStatus = (typeof ROLLOUT_STATUSES)[number];

/** What to do when an org leaves the audience of a continuous rollout: nothing, or put its value back. */
export type LeavePolicy = 'keep' | 'revert';

/** What a rollout does: one flag, one value, an audience, steps. */
export interface RolloutDefinition {
  readonly key: string;
  readonly enabled: boolean;
  readonly audience: Audience;
  readonly steps: readonly RolloutStep[];
  readonly overrides: OverridePolicy;
  /** An entitlement: after its last step the rollout stays active for orgs that come and change. */
  readonly continuous: boolean;
  readonly on_leave: LeavePolicy;
  readonly note?: string;
}

/** The counts a preview gives for one step, or for one attribute value. */
export interface OutcomeCounts {
  will_change: number;
  already: number;
  held_by_override: number;
}

export function zeroOutcomeCounts(): OutcomeCounts {
  return { will_change: 0, already: 0, held_by_override: 0 };
}

/** The preview's tallies, carried from page to page of its job. */
export interface PreviewTally {
  /** Orgs in the audience, before percentages. */
  audience: number;
  /** Per step (index 0 is step 1): the orgs that step itself reaches. */
  steps: OutcomeCounts[];
  /** Per attribute and value, the orgs any step reaches. */
  by_attribute: Record<string, Record<string, OutcomeCounts>>;
}

export function emptyPreviewTally(steps: number): PreviewTally {
  return { audience: 0, steps: Array.from({ length: steps }, zeroOutcomeCounts), by_attribute: {} };
}

const COUNT_OF: Readonly<Record<PreviewOutcome, keyof OutcomeCounts>> = {
  will_change: 'will_change',
  already: 'already',
  held: 'held_by_override',
};

/** Adds one org the rollout reaches at `step` with `outcome` to the tally. */
export function tallyOrg(
  tally: PreviewTally,
  step: number,
  outcome: PreviewOutcome,
  attributes: Readonly<Record<string, string>> | undefined,
): void {
  const count = COUNT_OF[outcome];
  const counts = tally.steps[step - 1];
  if (counts) counts[count] += 1;
  for (const [name, value] of Object.entries(attributes ?? {})) {
    const values = (tally.by_attribute[name] ??= {});
    (values[value] ??= zeroOutcomeCounts())[count] += 1;
  }
}

/** The preview of a rollout: a job over all orgs, bound to the definition and the registry it was made with. */
export interface RolloutPreview {
  readonly jobId: string;
  readonly registryVersion: string;
  readonly definitionHash: string;
  readonly startedAt: string;
}

/** Where the preview's job stands (the job holds the preview's counts once it succeeded). */
export type PreviewJobStatus = 'running' | 'succeeded' | 'failed' | 'missing';

/** A second admin's approval, bound like the preview it approved. */
export interface RolloutApproval {
  readonly by: string;
  readonly at: string;
  readonly definitionHash: string;
  readonly registryVersion: string;
}

/** A rollout as stored. */
export interface Rollout {
  readonly id: string;
  readonly definition: RolloutDefinition;
  /** `draft` until the start; what it is before then follows from the preview ({@link effectiveStatus}). */
  readonly status: RolloutStatus;
  /** Raised by every save; a save is conditional on the version it read. */
  readonly version: number;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly updatedAt: string;
  readonly updatedBy: string;
  readonly preview?: RolloutPreview;
  readonly approval?: RolloutApproval;
  /** Steps applied so far; 0 before the start. */
  readonly stepsDone: number;
}

/** Content hash of a definition: a preview and an approval hold the hash of what they saw. */
export function definitionHash(definition: RolloutDefinition): string {
  return createHash('sha256').update(canonicalJson(definition)).digest('hex').slice(0, 16);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.entries(value)
      .filter(([, field]) => field !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, field]) => `${JSON.stringify(name)}:${canonicalJson(field)}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

/**
 * What a rollout's standing before the start depends on besides the rollout: its preview's job,
 * the registry in force, and the hash of its definition as it now is (computed once by the caller:
 * a definition may name 10,000 org ids).
 */
export interface RolloutStanding {
  readonly previewJob: PreviewJobStatus;
  readonly registryVersion: string;
  readonly definitionHash: string;
}

/** Whether the preview was made of this definition under this registry, and its job succeeded. */
export function previewIsCurrent(rollout: Rollout, standing: RolloutStanding): boolean {
  const { preview } = rollout;
  return (
    preview !== undefined &&
    standing.previewJob === 'succeeded' &&
    preview.definitionHash === standing.definitionHash &&
    preview.registryVersion === standing.registryVersion
  );
}

/** Whether the approval holds: given for the current definition and registry, with the preview current. */
export function approvalIsCurrent(rollout: Rollout, standing: RolloutStanding): boolean {
  const { approval } = rollout;
  return (
    approval !== undefined &&
    previewIsCurrent(rollout, standing) &&
    approval.definitionHash === standing.definitionHash &&
    approval.registryVersion === standing.registryVersion
  );
}

/** The statuses of a rollout that has not started: what it can do next follows from its preview and approval. */
export const BEFORE_START: ReadonlySet<RolloutStatus> = new Set(['draft', 'previewing', 'ready', 'approved']);

/**
 * The status as it stands now. Before the start it is not stored but follows from the preview's
 * job (running, current, stale or failed) and the approval, so that a registry deployed since, or
 * an edit, makes a ready rollout a draft again.
 */
export function effectiveStatus(rollout: Rollout, standing: RolloutStanding): RolloutStatus {
  if (!BEFORE_START.has(rollout.status)) return rollout.status;
  if (rollout.preview && standing.previewJob === 'running') return 'previewing';
  if (approvalIsCurrent(rollout, standing)) return 'approved';
  return previewIsCurrent(rollout, standing) ? 'ready' : 'draft';
}

/** A rollout id says when it was created, to the millisecond: `20261207T090000123Z-3f9a1c`. */
export const ROLLOUT_ID_PATTERN = /^\d{8}T\d{9}Z-[0-9a-f]{6}$/;

export function newRolloutId(now: Date): string {
  return `${idStamp(now)}-${randomBytes(3).toString('hex')}`;
}
