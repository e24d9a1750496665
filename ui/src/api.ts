import type { output } from 'zod/mini';
import type * as responses from '../../lambdas/domain/responses.js';
import type { SetFlagBody } from '../../lambdas/domain/write-schemas.js';

// The API's own response types, from the schemas its description is generated from.
export type OrgList = output<typeof responses.orgListSchema>;
export type OrgSummary = output<typeof responses.orgSummarySchema>;
export type OrgFlags = output<typeof responses.orgFlagsSchema>;
export type MergedFlag = output<typeof responses.mergedFlagSchema>;
export type FlagChange = output<typeof responses.flagChangeSchema>;
export type VersionConflict = output<typeof responses.versionConflictSchema>;
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
}

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
      const params = new URLSearchParams();
      if (query.prefix) params.set('prefix', query.prefix);
      if (query.limit) params.set('limit', String(query.limit));
      if (query.cursor) params.set('cursor', query.cursor);
      const search = params.toString();
      return call('GET', `/orgs${search ? `?${search}` : ''}`, undefined, signal);
    },
    getOrgFlags(orgId, signal) {
      return call('GET', `/org-feature-flags/${encodeURIComponent(orgId)}`, undefined, signal);
    },
    setOrgFlag(body) {
      return call('POST', '/org-feature-flags', body);
    },
  };
}
