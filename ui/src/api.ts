import type { input, output } from 'zod/mini';
import type * as responses from '../../lambdas/domain/responses.js';
import type { jobOptionsSchemas } from '../../lambdas/domain/job-schemas.js';
import type { JobType } from '../../lambdas/domain/jobs.js';
import type { BulkSetBody, SetFlagBody } from '../../lambdas/domain/write-schemas.js';

// The API's own response types, from the schemas its description is generated from.
export type OrgList = output<typeof responses.orgListSchema>;
export type OrgSummary = output<typeof responses.orgSummarySchema>;
export type OrgFlags = output<typeof responses.orgFlagsSchema>;
export type MergedFlag = output<typeof responses.mergedFlagSchema>;
export type FlagChange = output<typeof responses.flagChangeSchema>;
export type VersionConflict = output<typeof responses.versionConflictSchema>;
export type FlagRegistry = output<typeof responses.flagRegistrySchema>;
export type FlagDefinition = FlagRegistry['flags'][number];
export type FlagOrgs = output<typeof responses.flagOrgsSchema>;
export type FlagOrgState = output<typeof responses.flagOrgStateSchema>;
export type BulkChange = output<typeof responses.bulkChangeSchema>;
export type BulkOrgResult = output<typeof responses.bulkResultSchema>;
export type HistoryEntry = output<typeof responses.historyEntrySchema>;
export type OrgHistory = output<typeof responses.orgHistorySchema>;
export type FlagHistory = output<typeof responses.flagHistorySchema>;
export type Job = output<typeof responses.jobSchema>;
export type JobList = output<typeof responses.jobListSchema>;
export type { JobType };
/** Options of `POST /jobs/{type}`, by type. */
export type JobOptions = { readonly [T in JobType]: input<(typeof jobOptionsSchemas)[T]> };
type ErrorBody = output<typeof responses.errorSchema>;

/** An answer of the API other than success: its status, and its `error.code` and `error.message`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The API refused the token (401): the session is over and a new sign-in is needed. */
export class SessionExpiredError extends ApiError {}

/** A write named a version the flag no longer has; `current` is the flag as it stands. */
export class VersionConflictError extends ApiError {
  constructor(
    readonly current: MergedFlag | null,
    message: string,
    body: unknown,
  ) {
    super(409, 'version_conflict', message, body);
  }
}

export interface ApiClientOptions {
  readonly baseUrl: string;
  /** The bearer token every request carries. */
  readonly token: () => string;
  /** Called on a 401, before the request's promise rejects with {@link SessionExpiredError}. */
  readonly onUnauthorized?: () => void;
}

export interface ApiClient {
  /** `GET /orgs`: one page of orgs in org id order, by id prefix. */
  listOrgs(query: { prefix?: string; limit?: number; cursor?: string }, signal?: AbortSignal): Promise<OrgList>;
  /** `GET /org-feature-flags/{org_id}`: every registry flag of the org, in registry order. */
  getOrgFlags(orgId: string, signal?: AbortSignal): Promise<OrgFlags>;
  /** `POST /org-feature-flags`: sets one flag, only if it is still at `version`. */
  setOrgFlag(body: SetFlagBody & { version: number }): Promise<FlagChange>;
  /** `GET /feature-flags`: the registry, internal flags and retired keys included for staff. */
  listFlags(signal?: AbortSignal): Promise<FlagRegistry>;
  /** `GET /org-feature-flags/by-flag/{key}`: one page of every org's state of one flag, in org id order. */
  listFlagOrgs(
    key: string,
    query: { enabled?: boolean | undefined; limit?: number; cursor?: string },
    signal?: AbortSignal,
  ): Promise<FlagOrgs>;
  /** `POST /feature-flags/{key}/orgs`: sets one flag for up to 100 orgs, a result per org. */
  bulkSetFlag(key: string, body: BulkSetBody): Promise<BulkChange>;
  /** `GET /org-feature-flags/{org_id}/history`: one page of an org's changes, newest first, optionally of one flag. */
  getOrgHistory(
    orgId: string,
    query: { key?: string | undefined; limit?: number; cursor?: string },
    signal?: AbortSignal,
  ): Promise<OrgHistory>;
  /** `GET /feature-flags/{key}/history`: one page of one flag's changes across orgs, newest first. */
  getFlagHistory(key: string, query: { limit?: number; cursor?: string }, signal?: AbortSignal): Promise<FlagHistory>;
  /** `GET /jobs`: one page of jobs, newest first. */
  listJobs(query: { limit?: number; cursor?: string }, signal?: AbortSignal): Promise<JobList>;
  /** `POST /jobs/{type}`: starts a job; 409 `job_running` when one of this type runs. */
  startJob<T extends JobType>(type: T, options: JobOptions[T]): Promise<Job>;
  /** `GET /jobs/{job_id}`: status, progress and, once finished, the result. */
  getJob(jobId: string, signal?: AbortSignal): Promise<Job>;
  /** `POST /jobs/{job_id}/resume`: runs a failed job again from its last checkpoint. */
  resumeJob(jobId: string): Promise<Job>;
}

/** `?a=1&b=2` of the defined entries, or '' when there are none. */
function queryString(query: Record<string, string | number | boolean | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query))
    if (value !== undefined && value !== '') params.set(name, String(value));
  const search = params.toString();
  return search ? `?${search}` : '';
}

const segment = encodeURIComponent;

export function createApiClient(options: ApiClientOptions): ApiClient {
  async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${options.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${options.token()}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(signal ? { signal } : {}),
        cache: 'no-store',
      });
    } catch (error) {
      if (error instanceof DOMException && error.name === 'AbortError') throw error;
      throw new ApiError(0, 'network_error', 'The API could not be reached. Check the connection and try again.', null);
    }
    const parsed: unknown = await response.json().catch(() => null);
    if (response.ok) return parsed as T;
    const error = (parsed as Partial<ErrorBody> | null)?.error;
    const code = error?.code ?? `http_${response.status}`;
    const message = error?.message ?? `The API answered ${response.status} ${response.statusText}.`;
    if (response.status === 401) {
      options.onUnauthorized?.();
      throw new SessionExpiredError(401, code, message, parsed);
    }
    if (response.status === 409 && code === 'version_conflict') {
      throw new VersionConflictError((parsed as VersionConflict).error.current, message, parsed);
    }
    throw new ApiError(response.status, code, message, parsed);
  }

  return {
    listOrgs(query, signal) {
      return call('GET', `/orgs${queryString(query)}`, undefined, signal);
    },
    getOrgFlags(orgId, signal) {
      return call('GET', `/org-feature-flags/${segment(orgId)}`, undefined, signal);
    },
    setOrgFlag(body) {
      return call('POST', '/org-feature-flags', body);
    },
    listFlags(signal) {
      return call('GET', '/feature-flags', undefined, signal);
    },
    listFlagOrgs(key, query, signal) {
      return call('GET', `/org-feature-flags/by-flag/${segment(key)}${queryString(query)}`, undefined, signal);
    },
    bulkSetFlag(key, body) {
      return call('POST', `/feature-flags/${segment(key)}/orgs`, body);
    },
    getOrgHistory(orgId, query, signal) {
      return call('GET', `/org-feature-flags/${segment(orgId)}/history${queryString(query)}`, undefined, signal);
    },
    getFlagHistory(key, query, signal) {
      return call('GET', `/feature-flags/${segment(key)}/history${queryString(query)}`, undefined, signal);
    },
    listJobs(query, signal) {
      return call('GET', `/jobs${queryString(query)}`, undefined, signal);
    },
    startJob(type, options) {
      return call('POST', `/jobs/${segment(type)}`, options);
    },
    getJob(jobId, signal) {
      return call('GET', `/jobs/${segment(jobId)}`, undefined, signal);
    },
    resumeJob(jobId) {
      return call('POST', `/jobs/${segment(jobId)}/resume`);
    },
  };
}
