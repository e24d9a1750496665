import * as z from 'zod/mini';
import '../../registry/zod-locale.js';
import { orgIdSchema } from './schemas.js';

/** `detail` of an `OrgCreated` event: only `org_id` is required; other fields are kept as they come. */
export const orgCreatedDetailSchema = z.looseObject({ org_id: orgIdSchema });

export type OrgCreatedDetail = z.infer<typeof orgCreatedDetailSchema>;

/**
 * `detail` of an `OrgUpdated` event: the attributes that changed (`null` unsets one) and when the
 * change happened, so that an event delivered late never overwrites a newer value.
 */
export const orgUpdatedDetailSchema = z.looseObject({
  org_id: orgIdSchema,
  attributes: z.record(z.string(), z.unknown()),
  occurred_at: z.iso.datetime({ offset: true, error: 'occurred_at must be an ISO 8601 date-time' }),
});

/** `detail` of CloudFormation's `CloudFormation Stack Status Change` event. */
export const stackStatusDetailSchema = z.looseObject({
  'stack-id': z.string(),
  'status-details': z.looseObject({ status: z.string() }),
});
