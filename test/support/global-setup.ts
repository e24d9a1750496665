import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { require as tsxRequire } from 'tsx/cjs/api';
import type * as DynamoDbLocal from '../../lib/local/dynamodb-local.js';

const TABLE_NAME = 'org-feature-flags-test';

/**
 * Starts DynamoDB Local for the test run, and makes the folder where the test files share the
 * stages they synthesize (`TEST_SYNTH_DIR`, see `synthStage` in cdk.ts). Jest loads this file through a CommonJS require hook
 * that does not map `.js` specifiers to `.ts` files, so the library is loaded with tsx's scoped
 * require (tsx's ESM `tsImport` cannot be used from CommonJS).
 */
export default async function globalSetup(): Promise<void> {
  // Every DynamoDB Local of the run (this one and those of the local stacks the tests start) lives
  // for seconds to minutes: compiled by the JVM's quick compiler only, each costs about half the CPU
  // to start and to serve its first thousands of calls.
  process.env.JAVA_TOOL_OPTIONS = [process.env.JAVA_TOOL_OPTIONS, '-XX:TieredStopAtLevel=1'].filter(Boolean).join(' ');
  const local = tsxRequire('../../lib/local/dynamodb-local.js', import.meta.url) as typeof DynamoDbLocal;
  await local.ensureDynamoDbLocal();
  const handle = await local.startDynamoDbLocal({ inMemory: true });
  try {
    await local.ensureTable(handle.endpoint, TABLE_NAME);
  } catch (error) {
    await handle.stop();
    throw error;
  }
  (
    globalThis as { __orgFeatureFlagsDynamoDbLocal?: DynamoDbLocal.DynamoDbLocalHandle }
  ).__orgFeatureFlagsDynamoDbLocal = handle;

  process.env.DYNAMODB_ENDPOINT = handle.endpoint;
  process.env.TABLE_NAME = TABLE_NAME;
  process.env.AWS_REGION = 'local';
  process.env.AWS_ACCESS_KEY_ID = 'local';
  process.env.AWS_SECRET_ACCESS_KEY = 'local';
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  process.env.TEST_SYNTH_DIR = mkdtempSync(path.join(tmpdir(), 'org-feature-flags-synth-'));
}
