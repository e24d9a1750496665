import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  HANDLERS,
  handlerEntryPath,
  type ExtraGrant,
  type HandlerDeclaration,
  type HandlerName,
} from '../../lib/service/handlers.js';
import { removeSynthOutput, synthStage } from '../support/cdk.js';
import { eventBridgeEvent, httpEvent, uniqueOrgId } from '../support/events.js';
import { PROJECT_ROOT } from '../../lib/project.js';
import { BUNDLE_FILE, esbuildBundling } from '../../lib/constructs/bundling.js';

const run = promisify(execFile);

/** Each function's bundled entry file, as `cdk deploy` would upload it. */
const bundles = new Map<HandlerName, string>();

beforeAll(() => {
  const { assembly, statelessTemplate } = synthStage('dev');
  const functions = statelessTemplate.findResources('AWS::Lambda::Function');
  for (const { Properties } of Object.values(functions)) {
    const name = (Object.keys(HANDLERS) as HandlerName[]).find(
      (handler) => HANDLERS[handler].description === Properties.Description,
    );
    const hash = String(Properties.Code.S3Key).replace(/\.zip$/, '');
    if (name) bundles.set(name, path.join(assembly.directory, `asset.${hash}`, 'index.mjs'));
  }
}, 120_000);

afterAll(removeSynthOutput);

/** Invokes a bundle's handler in a fresh Node process, as the Lambda runtime would load it. */
async function invokeBundle(
  name: HandlerName,
  event: unknown,
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<{ statusCode?: number; body?: string } | null> {
  return JSON.parse((await runBundle(name, event, extraEnv)).stdout);
}

async function runBundle(name: HandlerName, event: unknown, extraEnv: NodeJS.ProcessEnv) {
  const file = bundles.get(name);
  if (!file) throw new Error(`no bundle for ${name}`);
  const script = `
    const { handler } = await import(${JSON.stringify(pathToFileURL(file).href)});
    const context = { awsRequestId: 'bundle-test', functionName: ${JSON.stringify(name)}, getRemainingTimeInMillis: () => 10000 };
    const result = await handler(JSON.parse(process.env.EVENT), context);
    process.stdout.write(JSON.stringify(result ?? null));`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    EVENT: JSON.stringify(event),
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    ...extraEnv,
  };
  delete env.NODE_OPTIONS;
  return run(process.execPath, ['--input-type=module', '-e', script], { env });
}

/** A bundle's source map: the source files it was built from (paths relative to the bundle) and the original names of the identifiers minifying renamed. */
async function bundleMap(name: HandlerName): Promise<{ sources: string[]; names: string[] }> {
  const file = bundles.get(name);
  if (!file) throw new Error(`no bundle for ${name}`);
  return JSON.parse(await readFile(`${file}.map`, 'utf8')) as { sources: string[]; names: string[] };
}

/** The source files a bundle was built from, as its source map lists them (paths relative to the bundle). */
async function bundleSources(name: HandlerName): Promise<string[]> {
  return (await bundleMap(name)).sources;
}

/** The project's own code under lib/ (the CDK app and the local stack): never part of a function. */
const isLibSource = (source: string) => !source.includes('node_modules/') && /(^|\/)lib\//.test(source);

/** What exists only for the local stack: the file export sink, the recovery of jobs a restart interrupted, and the setting of the export directory. */
const LOCAL_ONLY_NAMES = ['FileExportSink', 'recoverInterruptedJobs'];
const LOCAL_ONLY_SETTINGS = ['EXPORT_DIR'];

/** The DynamoDB client, the document client and the project's DynamoDB adapters. */
const DYNAMODB_CODE = [
  /(^|\/)node_modules\/@aws-sdk\/(client-dynamodb|lib-dynamodb)\//,
  /(^|\/)lambdas\/adapters\/dynamodb-[^/]+$/,
];
const isDynamoDbCode = (source: string) => DYNAMODB_CODE.some((pattern) => pattern.test(source));

/** The AWS clients a function uses only for what one of its grants allows (exports are signed PUTs through aws4fetch; no function bundles the S3 client). */
const CLIENT_GRANTS: Readonly<Record<string, ExtraGrant | 'none'>> = {
  '@aws-sdk/client-sfn': 'start-jobs',
  aws4fetch: 'write-exports',
  '@aws-sdk/client-s3': 'none',
  '@aws-sdk/client-eventbridge': 'publish-events',
};

/** What the Lambda runtime sets that turns tracing on: the execution environment and a sampled trace. */
const LAMBDA_TRACING_ENV = {
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
  LAMBDA_TASK_ROOT: PROJECT_ROOT,
  _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
};

describe('the function bundles cdk deploys', () => {
  it('exist for every declared handler, as minified ESM with a source map', async () => {
    expect([...bundles.keys()].sort()).toEqual(Object.keys(HANDLERS).sort());
    for (const file of bundles.values()) {
      const code = await readFile(file, 'utf8');
      expect(code).toMatch(/^import\{createRequire\}|^import \{ createRequire \}/);
      expect(code).toContain('//# sourceMappingURL=index.mjs.map');
      expect(Math.max(...code.split('\n').map((line) => line.length))).toBeGreaterThan(10_000);
    }
  });

  it("of functions that never touch the table hold no DynamoDB client or adapter; the others' do", async () => {
    const names = Object.keys(HANDLERS) as HandlerName[];
    const tableless = names.filter((name) => HANDLERS[name].tableAccess === 'none');
    expect(tableless.length).toBeGreaterThan(0);
    for (const name of names) {
      const found = (await bundleSources(name)).filter(isDynamoDbCode);
      if (tableless.includes(name)) expect({ name, found }).toEqual({ name, found: [] });
      else expect({ name, found: found.length > 0 }).toEqual({ name, found: true });
    }
  });

  it('hold the Step Functions, S3-upload and EventBridge clients exactly where the function declares the grant that uses them', async () => {
    for (const name of Object.keys(HANDLERS) as HandlerName[]) {
      const sources = await bundleSources(name);
      const grants: readonly ExtraGrant[] = (HANDLERS[name] as HandlerDeclaration).grants ?? [];
      for (const [client, grant] of Object.entries(CLIENT_GRANTS)) {
        const bundled = sources.some((source) => source.includes(`node_modules/${client}/`));
        expect({ name, client, bundled }).toEqual({
          name,
          client,
          bundled: grant !== 'none' && grants.includes(grant),
        });
      }
    }
  });

  it("hold no semver package: the X-Ray SDK's one use of it is answered by lambdas/shared/semver-gte.ts, and nothing else imports it", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'org-feature-flags-bundle-'));
    try {
      // Built all at once: one at a time, the 35 bundles took over 30 s on a busy machine.
      const names = Object.keys(HANDLERS) as HandlerName[];
      const built = await Promise.all(
        names.map(async (name) => ({
          name,
          sources: await bundleSources(name),
          metafile: (await build(esbuildBundling(handlerEntryPath(name), path.join(dir, name)))).metafile,
        })),
      );
      for (const { name, sources, metafile } of built) {
        expect({ name, semver: sources.filter((source) => /node_modules\/semver\//.test(source)) }).toEqual({
          name,
          semver: [],
        });
        const importers = Object.entries(metafile.inputs)
          .filter(([, input]) => input.imports.some((imported) => imported.original === 'semver'))
          .map(([file]) => file);
        const xray = sources.some((source) => source.includes('node_modules/aws-xray-sdk-core/'));
        expect({ name, importers }).toEqual({
          name,
          importers: xray ? ['node_modules/aws-xray-sdk-core/dist/lib/patchers/aws_p.js'] : [],
        });
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('hold no code of lib/ and nothing that exists only for the local stack', async () => {
    const found = [];
    for (const name of Object.keys(HANDLERS) as HandlerName[]) {
      const { sources, names } = await bundleMap(name);
      const code = await readFile(bundles.get(name) ?? '', 'utf8');
      const held = [
        ...sources.filter(isLibSource),
        ...LOCAL_ONLY_NAMES.filter((local) => names.includes(local)),
        ...LOCAL_ONLY_SETTINGS.filter((setting) => code.includes(setting)),
      ];
      if (held.length > 0) found.push({ name, held });
    }
    expect(found).toEqual([]);
  });

  it('are what the bench bundles: the same options give the same code', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'org-feature-flags-bundle-'));
    try {
      for (const name of ['health', 'get-org-flags'] as const) {
        await build(esbuildBundling(handlerEntryPath(name), path.join(dir, name)));
        const [bench, deployed] = await Promise.all([
          readFile(path.join(dir, name, BUNDLE_FILE), 'utf8'),
          readFile(bundles.get(name) ?? '', 'utf8'),
        ]);
        expect(bench === deployed).toBe(true);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('run: provisioning from an OrgCreated event, then reading and writing flags over the real table', async () => {
    const orgId = uniqueOrgId('bundle');
    expect(await invokeBundle('health', httpEvent({ method: 'GET', path: '/health', role: 'none' }))).toMatchObject({
      statusCode: 200,
    });
    const description = await invokeBundle(
      'openapi',
      httpEvent({ method: 'GET', path: '/openapi.json', role: 'none' }),
    );
    expect(JSON.parse(description?.body ?? '{}')).toEqual(
      JSON.parse(await readFile(path.join(PROJECT_ROOT, 'docs', 'openapi.json'), 'utf8')),
    );
    await invokeBundle('org-created', eventBridgeEvent({ org_id: orgId }));

    const read = await invokeBundle(
      'get-org-flags',
      httpEvent({
        method: 'GET',
        path: '/org-feature-flags/{org_id}',
        pathParameters: { org_id: orgId },
        role: 'admin',
      }),
    );
    expect(read?.statusCode).toBe(200);
    const flags = JSON.parse(read?.body ?? '{}').flags as Array<{ key: string; is_default: boolean }>;
    expect(flags.map((flag) => flag.is_default)).toEqual(flags.map(() => false));

    const write = await invokeBundle(
      'set-org-flag',
      httpEvent({
        method: 'POST',
        path: '/org-feature-flags',
        body: { org_id: orgId, key: 'chat', enabled: true },
        role: 'admin',
      }),
    );
    expect(write?.statusCode).toBe(200);
    expect(JSON.parse(write?.body ?? '{}')).toMatchObject({ changed: true, flag: { key: 'chat', user_enabled: true } });

    const malformed = invokeBundle('org-created', eventBridgeEvent({ org_id: 'not/valid' }));
    await expect(malformed).rejects.toThrow(/org_id/);
  }, 60_000);

  it('run with X-Ray tracing on, as in Lambda, sending the DynamoDB calls to the X-Ray daemon', async () => {
    const daemon = createSocket('udp4');
    const segments: string[] = [];
    daemon.on('message', (message) => segments.push(message.toString('utf8')));
    await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
    try {
      const tracing = { ...LAMBDA_TRACING_ENV, AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${daemon.address().port}` };
      const orgId = uniqueOrgId('traced');
      await invokeBundle('org-created', eventBridgeEvent({ org_id: orgId }), tracing);
      const { stdout, stderr } = await runBundle(
        'get-org-flags',
        httpEvent({
          method: 'GET',
          path: '/org-feature-flags/{org_id}',
          pathParameters: { org_id: orgId },
          role: 'admin',
        }),
        tracing,
      );
      expect(JSON.parse(stdout)).toMatchObject({ statusCode: 200 });
      expect(stderr).not.toMatch(/segment/i);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const traced = segments.join('\n');
      expect(traced).toContain('"name":"DynamoDB"');
      expect(traced).toContain('"operation":"Query"');
      expect(traced).toContain('"operation":"PutItem"');
    } finally {
      daemon.close();
    }
  }, 60_000);
});
