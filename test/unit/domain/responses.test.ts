import { describe, expect, it } from '@jest/globals';
import type { z } from 'zod';
import { ConflictError, UnknownFlagError } from '../../../lambdas/domain/errors.js';
import { mergeFlag, type FlagRow } from '../../../lambdas/domain/flags.js';
import { historyView } from '../../../lambdas/domain/history.js';
import { addCounts, jobView, newJob, zeroCounts } from '../../../lambdas/domain/jobs.js';
import { addOrgToReport, emptyReportState, finishReport } from '../../../lambdas/domain/report.js';
import {
  errorSchema,
  flagRegistrySchema,
  historyEntrySchema,
  jobSchema,
  mergedFlagSchema,
  responseComponents,
  versionConflictSchema,
} from '../../../lambdas/domain/responses.js';
import { errorResponse } from '../../../lambdas/http/responses.js';
import { listFlags } from '../../../lambdas/use-cases/flags.js';
import { publicFlag, registry } from '../../support/flags.js';

const now = new Date('2026-11-23T10:15:00.000Z');
const row: FlagRow = {
  orgId: 'acme',
  key: publicFlag().key,
  enabled: true,
  version: now.getTime(),
  source: 'admin',
  createdAt: now.toISOString(),
  updatedAt: now.toISOString(),
  updatedBy: 'admin-user-1',
};

/** A schema's output type, read-only all the way down: the domain's readonly arrays are as good on the wire. */
type DeepReadonly<T> = T extends (infer I)[]
  ? readonly DeepReadonly<I>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;
type Described<S extends z.core.$ZodType> = DeepReadonly<z.output<S>>;

/** What an error becomes on the wire. */
const errorBody = (error: Error) => JSON.parse(errorResponse(error).body as string) as unknown;

describe('the response schemas', () => {
  it('describe the merged flag, with and without a row; an item missing a field or with an extra one does not match', () => {
    const withRow: Described<typeof mergedFlagSchema> = mergeFlag(publicFlag(), row);
    const atDefault: Described<typeof mergedFlagSchema> = mergeFlag(publicFlag(), undefined);
    expect(mergedFlagSchema.parse(withRow)).toEqual(withRow);
    expect(mergedFlagSchema.parse(atDefault)).toEqual(atDefault);
    const { updated_by_email: _email, ...missing } = withRow;
    expect(mergedFlagSchema.safeParse(missing).success).toBe(false);
    expect(mergedFlagSchema.safeParse({ ...withRow, enabled: true }).success).toBe(false);
  });

  it('describe the registry as staff and as an org see it', () => {
    const staff = listFlags(registry, { role: 'admin', id: 'a' });
    const org = listFlags(registry, { role: 'org', id: 'o', orgId: 'acme' });
    expect(flagRegistrySchema.parse(staff)).toEqual(staff);
    expect(flagRegistrySchema.parse(org)).toEqual(org);
    expect(org).not.toHaveProperty('retired');
  });

  it('describe a job, running and finished with a report', () => {
    const job = newJob('report', { stale_days: 30 }, { registryVersion: registry.version, actor: 'admin-user-1', now });
    const running: Described<typeof jobSchema> = jobView(job);
    expect(jobSchema.parse(running)).toEqual(running);

    const state = addOrgToReport(emptyReportState(), registry, 'acme', [row]);
    const report = finishReport(state, registry, { now, staleDays: 30, includesOrgs: true });
    const finished = jobView({
      ...job,
      status: 'failed',
      finishedAt: now.toISOString(),
      orgsTotal: 1,
      pagesDone: 1,
      counts: addCounts(zeroCounts(), { orgs_seen: 1, orgs_failed: 1 }),
      errors: [{ org_id: 'acme', message: 'throttled', at: now.toISOString() }],
      failure: 'States.Timeout',
      result: { type: 'report', report },
    });
    expect(jobSchema.parse(finished)).toEqual(finished);
  });

  it('describe a history entry', () => {
    const entry: Described<typeof historyEntrySchema> = historyView({
      changeId: 'c1',
      orgId: 'acme',
      key: row.key,
      previousEnabled: false,
      enabled: true,
      version: row.version,
      source: 'admin',
      changedBy: 'admin-user-1',
      changedAt: now.toISOString(),
      requestId: 'r1',
    });
    expect(historyEntrySchema.parse(entry)).toEqual(entry);
  });

  it('describe errors as the one error mapping writes them, a version conflict with its current state', () => {
    expect(errorSchema.safeParse(errorBody(new UnknownFlagError('nope', ['a', 'b']))).success).toBe(true);
    const conflict = errorBody(
      new ConflictError('version_conflict', 'moved on', {
        current_version: row.version,
        current: mergeFlag(publicFlag(), row),
      }),
    );
    expect(versionConflictSchema.safeParse(conflict).success).toBe(true);
    expect(versionConflictSchema.safeParse(errorBody(new ConflictError('version_conflict', 'moved on'))).success).toBe(
      false,
    );
  });

  it('are each registered once under a unique component name', () => {
    const ids = [
      mergedFlagSchema,
      errorSchema,
      jobSchema,
      historyEntrySchema,
      flagRegistrySchema,
      versionConflictSchema,
    ].map((schema) => responseComponents.get(schema)?.id);
    expect(ids).toEqual(['MergedFlag', 'Error', 'Job', 'HistoryEntry', 'FlagRegistry', 'VersionConflictError']);
  });
});
