import { rmSync } from 'node:fs';
import type { DynamoDbLocalHandle } from '../../lib/local/dynamodb-local.js';

/** Stops the DynamoDB Local started by global setup and removes the stages the test files synthesized. */
export default async function globalTeardown(): Promise<void> {
  const holder = globalThis as { __orgFeatureFlagsDynamoDbLocal?: DynamoDbLocalHandle };
  const handle = holder.__orgFeatureFlagsDynamoDbLocal;
  delete holder.__orgFeatureFlagsDynamoDbLocal;
  await handle?.stop();
  if (process.env.TEST_SYNTH_DIR) rmSync(process.env.TEST_SYNTH_DIR, { recursive: true, force: true });
}
