import * as z from 'zod/mini';
import '../../registry/zod-locale.js';
import { orgIdSchema } from './schemas.js';

/** The evaluation context: the org id as `targetingKey`; any other attribute is accepted and not used. */
export const evaluationContextSchema = z.looseObject({
  targetingKey: orgIdSchema.check(z.describe('The org id to evaluate the flags for.')),
});

/** The body of both evaluation routes. */
export const evaluationRequestSchema = z.object({ context: evaluationContextSchema });
