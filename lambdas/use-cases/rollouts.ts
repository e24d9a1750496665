import type { Registry } from '../../registry/index.js';
import type { Caller } from '../domain/caller.js';
import { ConflictError, ForbiddenError, NotFoundError, UnknownFlagError } from '../domain/errors.js';
import type { Job } from '../domain/jobs.js';
import { previewOrgFields, type RolloutStore } from '../domain/rollout-store.js';
import {
  BEFORE_START,
  approvalIsCurrent,
  definitionHash,
  effectiveStatus,
  newRolloutId,
  previewIsCurrent,
  type PreviewOutcome,
  type Rollout,
  type RolloutDefinition,
  type RolloutStatus,
} from '../domain/rollouts.js';
import { startJob, type JobControlDeps } from './jobs.js';
import { continuing, filteredPage, type Page } from './views.js';

/** What the rollout use cases need: the registry, the rollouts, and the jobs their previews run as. */
export interface RolloutDeps extends JobControlDeps {
  readonly rollouts: RolloutStore;
}

/** The reads of rollouts: no launcher, so the functions that only read load no job engine client. */
export type RolloutReadDeps = Pick<RolloutDeps, 'registry' | 'rollouts' | 'jobs'>;

const rolloutNotFound = (rolloutId: string) => new NotFoundError('rollout_not_found', `No rollout '${rolloutId}'.`);

function requireAdmin(caller: Caller, action: string): void {
  if (caller.role !== 'admin') throw new ForbiddenError('forbidden', `Only platform admins may ${action}.`);
}

function requireFlag(registry: Registry, key: string): void {
  if (!registry.byKey.has(key))
    throw new UnknownFlagError(
      key,
      registry.flags.map((flag) => flag.key),
    );
}

/** A definition as given, without the fields left out (so that its hash does not depend on how it was written). */
function cleanDefinition(definition: RolloutDefinition): RolloutDefinition {
  const { attributes, ...audience } = definition.audience;
  const present = Object.fromEntries(
    Object.entries(attributes ?? {}).filter((entry): entry is [string, readonly string[]] => entry[1] !== undefined),
  );
  return {
    ...definition,
    audience: { ...audience, ...(Object.keys(present).length > 0 ? { attributes: present } : {}) },
  };
}

/** Creates a rollout as a draft; nothing is previewed or written to any org yet. */
export async function createRollout(
  deps: Pick<RolloutDeps, 'registry' | 'rollouts'>,
  caller: Caller,
  definition: RolloutDefinition,
  context: { now: Date },
) {
  requireAdmin(caller, 'create rollouts');
  requireFlag(deps.registry, definition.key);
  const at = context.now.toISOString();
  const rollout: Rollout = {
    id: newRolloutId(context.now),
    definition: cleanDefinition(definition),
    status: 'draft',
    version: 1,
    createdAt: at,
    createdBy: caller.id,
    updatedAt: at,
    updatedBy: caller.id,
    stepsDone: 0,
  };
  await deps.rollouts.create(rollout);
  return rolloutView(rollout, undefined, deps.registry.version);
}

/** The job of the rollout's latest preview, if it has one. */
async function previewJobOf(deps: Pick<RolloutReadDeps, 'jobs'>, rollout: Rollout): Promise<Job | undefined> {
  return rollout.preview ? deps.jobs.get(rollout.preview.jobId) : undefined;
}

async function loadRollout(deps: RolloutReadDeps, rolloutId: string) {
  const rollout = await deps.rollouts.get(rolloutId);
  if (!rollout) throw rolloutNotFound(rolloutId);
  return { rollout, previewJob: await previewJobOf(deps, rollout) };
}

/**
 * Saves a change of the rollout by `caller` as its next version, on condition that the stored one
 * is still the version read (409 `rollout_changed` otherwise). An approval does not outlive a
 * change: a new definition or preview needs a new one.
 */
async function saveRollout(
  deps: Pick<RolloutDeps, 'rollouts'>,
  rollout: Rollout,
  change: Partial<Pick<Rollout, 'definition' | 'preview'>>,
  context: { caller: Caller; now: Date },
): Promise<Rollout> {
  const { approval: _approval, ...rest } = rollout;
  const next: Rollout = {
    ...rest,
    ...change,
    version: rollout.version + 1,
    updatedAt: context.now.toISOString(),
    updatedBy: context.caller.id,
  };
  if (!(await deps.rollouts.save(next, rollout.version)))
    throw new ConflictError('rollout_changed', `Rollout ${rollout.id} changed meanwhile; look at it again.`);
  return next;
}

/** One rollout, with its preview's counts once the preview succeeded. */
export async function getRollout(deps: RolloutReadDeps, rolloutId: string) {
  const { rollout, previewJob } = await loadRollout(deps, rolloutId);
  return rolloutView(rollout, previewJob, deps.registry.version);
}

/** Rollouts newest first, optionally of one flag or in one status; a sparse filter gives short pages with a cursor. */
export async function listRollouts(
  deps: RolloutReadDeps,
  query: { key?: string; status?: RolloutStatus; after?: string; limit: number },
): Promise<Page<RolloutView, string>> {
  return filteredPage(
    query.limit,
    query.after,
    async (after) => {
      const page = await deps.rollouts.list(query.limit, after);
      const items = await Promise.all(
        page.rollouts.map(async (rollout) =>
          rolloutView(rollout, await previewJobOf(deps, rollout), deps.registry.version),
        ),
      );
      return { items, ...(page.next ? { next: page.next } : {}) };
    },
    (view) =>
      (query.key === undefined || view.key === query.key) &&
      (query.status === undefined || view.status === query.status),
    (view) => view.rollout_id,
  );
}

/** Fields of a definition an edit may change (the flag may not change: make another rollout). */
export type RolloutPatch = Partial<Omit<RolloutDefinition, 'key'>>;

/**
 * Edits a rollout that has not started. The preview and any approval then no longer match the
 * definition: the rollout is a draft again until it is previewed (and approved) anew.
 */
export async function updateRollout(
  deps: RolloutReadDeps,
  caller: Caller,
  rolloutId: string,
  patch: RolloutPatch,
  context: { now: Date },
) {
  requireAdmin(caller, 'edit rollouts');
  const { rollout, previewJob } = await loadRollout(deps, rolloutId);
  if (!BEFORE_START.has(rollout.status))
    throw new ConflictError(
      'rollout_started',
      `Rollout ${rolloutId} is ${rollout.status}; only a rollout that has not started can be edited.`,
    );
  const present = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
  const definition = cleanDefinition({ ...rollout.definition, ...present });
  const next = await saveRollout(deps, rollout, { definition }, { caller, now: context.now });
  return rolloutView(next, previewJob, deps.registry.version);
}

/**
 * Starts the preview of a rollout that has not started: a job over all orgs that finds, per step,
 * the orgs it will change, those already at the value and those held by a person's value. The
 * rollout names the job before the job runs, so that the preview is bound to this definition.
 */
export async function previewRollout(deps: RolloutDeps, caller: Caller, rolloutId: string, context: { now: Date }) {
  requireAdmin(caller, 'preview rollouts');
  const rollout = await deps.rollouts.get(rolloutId);
  if (!rollout) throw rolloutNotFound(rolloutId);
  if (!BEFORE_START.has(rollout.status))
    throw new ConflictError('rollout_started', `Rollout ${rolloutId} is ${rollout.status}; its preview is final.`);
  requireFlag(deps.registry, rollout.definition.key);
  const hash = definitionHash(rollout.definition);
  let previewing: Rollout = rollout;
  const job = await startJob(
    deps,
    'rollout-preview',
    { rollout_id: rollout.id, definition_hash: hash },
    {
      actor: caller.id,
      now: context.now,
      beforeLaunch: async (started) => {
        const preview = {
          jobId: started.id,
          registryVersion: deps.registry.version,
          definitionHash: hash,
          startedAt: context.now.toISOString(),
        };
        previewing = await saveRollout(deps, rollout, { preview }, { caller, now: context.now });
      },
    },
  );
  return rolloutView(previewing, job, deps.registry.version);
}

/** What a preview may be asked to list. */
export interface RolloutOrgsQuery {
  readonly step?: number;
  readonly outcome?: PreviewOutcome;
  readonly after?: string;
  readonly limit: number;
}

/** The exact orgs of the rollout's latest preview, in org id order, optionally of one step and one outcome. */
export async function rolloutOrgs(deps: RolloutReadDeps, rolloutId: string, query: RolloutOrgsQuery) {
  const { rollout, previewJob } = await loadRollout(deps, rolloutId);
  if (!rollout.preview || previewJob?.status !== 'succeeded')
    throw new ConflictError(
      'no_preview',
      `Rollout ${rolloutId} has no finished preview; preview it (POST /rollouts/${rolloutId}/preview) and wait for it.`,
    );
  const { preview } = rollout;
  const page = await filteredPage(
    query.limit,
    query.after,
    async (after) =>
      continuing(
        await deps.rollouts.previewOrgs({ previewId: preview.jobId, ...(after ? { after } : {}), limit: query.limit }),
        (org) => org.orgId,
      ),
    (org) =>
      (query.step === undefined || org.step === query.step) &&
      (query.outcome === undefined || org.outcome === query.outcome),
    (org) => org.orgId,
  );
  return { rollout, items: page.items.map(previewOrgFields), ...(page.next ? { next: page.next } : {}) };
}

/** A rollout as the API shows it. */
export function rolloutView(rollout: Rollout, previewJob: Job | undefined, registryVersion: string) {
  const { definition, preview, approval } = rollout;
  const standing = {
    previewJob: previewJob?.status ?? ('missing' as const),
    registryVersion,
    definitionHash: definitionHash(definition),
  };
  const tally = previewJob?.result?.type === 'rollout-preview' ? previewJob.result.tally : undefined;
  return {
    rollout_id: rollout.id,
    key: definition.key,
    enabled: definition.enabled,
    audience: definition.audience,
    steps: definition.steps.map((step, index) => ({ step: index + 1, percent: step.percent, at: step.at ?? null })),
    overrides: definition.overrides,
    continuous: definition.continuous,
    on_leave: definition.on_leave,
    note: definition.note ?? null,
    status: effectiveStatus(rollout, standing),
    definition_hash: standing.definitionHash,
    version: rollout.version,
    created_at: rollout.createdAt,
    created_by: rollout.createdBy,
    updated_at: rollout.updatedAt,
    updated_by: rollout.updatedBy,
    steps_done: rollout.stepsDone,
    preview: preview
      ? {
          job_id: preview.jobId,
          status: standing.previewJob,
          current: previewIsCurrent(rollout, standing),
          registry_version: preview.registryVersion,
          definition_hash: preview.definitionHash,
          started_at: preview.startedAt,
          finished_at: previewJob?.finishedAt ?? null,
          failure: previewJob?.failure ?? null,
          audience: tally?.audience ?? null,
          steps: tally
            ? tally.steps.map((counts, index) => ({
                step: index + 1,
                percent: definition.steps[index]?.percent ?? null,
                ...counts,
              }))
            : [],
          by_attribute: tally?.by_attribute ?? {},
        }
      : null,
    approval: approval
      ? {
          by: approval.by,
          at: approval.at,
          current: approvalIsCurrent(rollout, standing),
        }
      : null,
  };
}

export type RolloutView = ReturnType<typeof rolloutView>;
