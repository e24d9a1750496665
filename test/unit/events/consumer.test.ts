import { describe, expect, it } from '@jest/globals';
import { EventBridgeSchema as powertoolsEnvelope } from '@aws-lambda-powertools/parser/schemas/eventbridge';
import * as z from 'zod';
import { EventBridgeSchema } from '../../../lambdas/events/consumer.js';

describe("the consumers' EventBridge envelope", () => {
  it('is the one Powertools declares, field for field', () => {
    expect(z.toJSONSchema(EventBridgeSchema)).toEqual(z.toJSONSchema(powertoolsEnvelope));
  });
});
