import * as z from 'zod/mini';
import '../../registry/zod-locale.js';
import { JOB_ID_PATTERN } from './jobs.js';

// The ids and path parameters every route shares. The other input schemas are declared by concern
// (write-schemas, query-schemas, job-schemas, event-schemas), so that a function builds only the
// schemas of its own route: each schema costs its function's cold start when it is built.

/** An org id: 1–64 letters, digits, `-` and `_`. */
export const orgIdSchema = z
  .string({ error: 'org_id must be a string' })
  .check(z.regex(/^[A-Za-z0-9_-]{1,64}$/, 'org_id must be 1-64 characters of letters, digits, - and _'));

export const orgPathSchema = z.object({ org_id: orgIdSchema });

/** A flag key as a path parameter; whether it is in the registry is the use case's to say. */
export const flagKeySchema = z
  .string({ error: 'key must be a string' })
  .check(z.minLength(1, 'key is required'), z.maxLength(128, 'key must be at most 128 characters'));

export const flagPathSchema = z.object({ key: flagKeySchema });

export const orgFlagPathSchema = z.object({ org_id: orgIdSchema, key: flagKeySchema });

/** `{job_id}` of the job routes. */
export const jobIdPathSchema = z.object({
  job_id: z.string().check(z.regex(JOB_ID_PATTERN, 'job_id is not a job id (e.g. 20261123T101500123Z-sync-3f9a1c)')),
});
