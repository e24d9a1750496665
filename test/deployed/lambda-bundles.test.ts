import { randomUUID } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { JOB_MACHINE } from '../../lib/service/jobs.js';
import type { HandlerName } from '../../lib/service/handlers.js';
import { ensureTable } from '../../lib/local/dynamodb-local.js';
import { FLAGS } from '../../registry/flags.js';
import { buildRegistry, loadRegistry } from '../../registry/index.js';
import { RETIRED } from '../../registry/retired.js';
import { onlyResource, removeSynthOutput } from '../support/cdk.js';
import { startAwsJsonEndpoint, type AwsJsonEndpoint } from '../support/aws-endpoints.js';
import {
  deployedFunctions,
  resolvedVariables,
  routeTargets,
  ruleTargets,
  synthDeployedStage,
  tableClient,
  type DeployedFunction,
  type DeployedStage,
  type ReferencedResource,
} from '../support/deployed.js';
import { allOrgItems, seedOrgs } from '../support/jobs.js';
import { LambdaEnvironment, lambdaRuntimeVariables, traceRoot, type Invocation } from '../support/lambda-runtime.js';
import {
  deployedDefinition,
  functionArn,
  lambdaInvokeIntegration,
  LambdaFunctionError,
  LocalStateMachine,
  stateMachineArn,
  TEST_ACCOUNT,
} from '../support/step-functions.js';
import { requiredEnv } from '../support/table.js';

/*
 * The function bundles `cdk deploy` uploads, run as Lambda runs them. The stage is synthesized
 * once (its functions bundled by the CDK, as for a deploy); each function's code folder is taken
 * from the stack's asset manifest, and its environment is the template's `Environment.Variables`
 * (the table, bucket, bus and state machine they name bound to test resources) plus what Lambda
 * sets. Each function gets its own Node.js process (test/support/lambda-runtime.ts) that imports
 * the bundle once and is invoked with the events API Gateway (HTTP API, payload 2.0, with the JWT
 * authorizer's claims and scopes), EventBridge and the DynamoDB stream deliver, built from the
 * fixtures in test/fixtures/events/. Which function answers a route or an event is read from the
 * template too (the route's integration, the rule's target). The functions work on DynamoDB Local;
 * Step Functions' StartExecution and EventBridge's PutEvents are served by test/support/aws-endpoints.ts,
 * StartExecution running the deployed state machine definition (test/support/step-functions.ts)
 * with its tasks invoking the job-worker bundle. Besides what Lambda sets, the only settings added
 * to the template's are the endpoints (DYNAMODB_ENDPOINT, STEP_FUNCTIONS_ENDPOINT,
 * EVENTBRIDGE_ENDPOINT), as the local stack sets them, and on Node.js 20 the AWS SDK's notice about
 * that version turned off. Tracing is on, as deployed: the segments go to a UDP socket standing in for the
 * X-Ray daemon.
 *
 * The bundles target Node.js 24 (the functions' runtime); they run here on this machine's Node.js,
 * or on the binary DEPLOYED_BUNDLES_NODE names (a Node.js 24, to run them as Lambda does).
 */

const registry = loadRegistry();
const previous = buildRegistry(FLAGS.slice(0, -1), RETIRED);
const newestFlag = FLAGS.at(-1)!;
const internalFlag = FLAGS.find((flag) => flag.internal_only)!;
const publicFlag = FLAGS.find((flag) => !flag.internal_only)!;
const EVENT_BUS = 'org-events-test';
const EXPORT_BUCKET = 'org-feature-flags-exports-test';

const fixture = (name: string) =>
  JSON.parse(readFileSync(new URL(`../fixtures/events/${name}.json`, import.meta.url), 'utf8')) as Record<
    string,
    unknown
  >;

let stage: DeployedStage;
let functions: Record<HandlerName, DeployedFunction>;
let handlerOf: Map<string, HandlerName>;
let routes: Map<string, string>;
let tableName: string;
let dynamoDbLocal: string;
let client: DynamoDBDocumentClient;
let aws: AwsJsonEndpoint;
let machine: LocalStateMachine;
let daemon: Socket;
const segments: string[] = [];
const invocations: Invocation[] = [];
const environments = new Map<HandlerName, Promise<LambdaEnvironment>>();
/** The events the functions put on the bus. */
const putEvents: Record<string, unknown>[] = [];

beforeAll(async () => {
  stage = synthDeployedStage('dev', { bundling: true });
  functions = deployedFunctions(stage);
  handlerOf = new Map(Object.values(functions).map((fn) => [fn.logicalId, fn.handler]));
  routes = routeTargets(stage.stateless);

  tableName = `deployed-bundles-${randomUUID()}`;
  dynamoDbLocal = requiredEnv('DYNAMODB_ENDPOINT');
  await ensureTable(dynamoDbLocal, tableName);
  client = tableClient(dynamoDbLocal);

  const [machineId] = onlyResource(stage.stateless, 'AWS::StepFunctions::StateMachine');
  const definition = deployedDefinition(stage.stateless, machineId, (id, attribute) => {
    if (handlerOf.has(id) && attribute === 'Arn') return functionArn(id);
    throw new Error(`the definition refers to ${id}, which the test does not bind`);
  });
  const worker = functions[JOB_MACHINE.worker];
  const integration = lambdaInvokeIntegration(
    new Map([
      [functionArn(worker.logicalId), async (event: unknown) => (await environment(worker.handler)).invoke(event)],
    ]),
  );
  const tasks = Object.entries(definition.States).flatMap(([name, state]) => (state.Type === 'Task' ? [name] : []));
  machine = new LocalStateMachine(stateMachineArn(machineId), definition, {
    overrides: { taskResourceLocalHandlers: Object.fromEntries(tasks.map((name) => [name, integration])) },
  });
  aws = await startAwsJsonEndpoint({
    'AWSStepFunctions.StartExecution': (body) => machine.startExecution(body),
    'AWSEvents.PutEvents': (body) => {
      const entries = body.Entries as Record<string, unknown>[];
      putEvents.push(...entries);
      return { FailedEntryCount: 0, Entries: entries.map(() => ({ EventId: randomUUID() })) };
    },
  });

  daemon = createSocket('udp4');
  daemon.on('message', (message) => segments.push(message.toString('utf8')));
  await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
}, 300_000);

afterAll(async () => {
  await Promise.all([...environments.values()].map(async (started) => (await started.catch(() => undefined))?.close()));
  await aws?.close();
  daemon?.close();
  client?.destroy();
  removeSynthOutput();
});

/** Binds what the functions' variables refer to: the test's table, bucket, bus and state machine. */
function bind(resource: ReferencedResource): string {
  if (resource.stack === 'stateful' && resource.attribute === undefined) {
    if (resource.type === 'AWS::DynamoDB::GlobalTable' || resource.type === 'AWS::DynamoDB::Table') return tableName;
    if (resource.type === 'AWS::S3::Bucket') return EXPORT_BUCKET;
    if (resource.type === 'AWS::Events::EventBus') return EVENT_BUS;
  }
  if (resource.stack === 'stateless' && resource.type === 'AWS::StepFunctions::StateMachine')
    return stateMachineArn(resource.logicalId);
  throw new Error(`a function's variable refers to ${JSON.stringify(resource)}, which the test does not bind`);
}

/** The function's execution environment, started (its bundle imported) on first use. */
function environment(handler: HandlerName): Promise<LambdaEnvironment> {
  let started = environments.get(handler);
  if (!started) {
    const fn = functions[handler];
    const variables = resolvedVariables(stage, fn, bind);
    const { port } = daemon.address();
    started = LambdaEnvironment.start(
      fn,
      {
        ...lambdaRuntimeVariables(fn, { region: TEST_ACCOUNT.region, xrayDaemonAddress: `127.0.0.1:${port}` }),
        ...variables,
        ...('TABLE_NAME' in variables ? { DYNAMODB_ENDPOINT: dynamoDbLocal } : {}),
        ...('JOB_STATE_MACHINE_ARN' in variables ? { STEP_FUNCTIONS_ENDPOINT: aws.endpoint } : {}),
        ...('EVENT_BUS_NAME' in variables ? { EVENTBRIDGE_ENDPOINT: aws.endpoint } : {}),
      },
      {
        invokedFunctionArn: functionArn(fn.logicalId),
        ...(process.env.DEPLOYED_BUNDLES_NODE ? { node: process.env.DEPLOYED_BUNDLES_NODE } : {}),
        onInvocation: (invocation) => invocations.push(invocation),
      },
    );
    environments.set(handler, started);
  }
  return started;
}

/** Invokes a function with an event; a function error rejects with its type, message and the function's logs. */
async function invokeFunction(handler: HandlerName, event: unknown): Promise<unknown> {
  const env = await environment(handler);
  try {
    return await env.invoke(event);
  } catch (error) {
    if (error instanceof LambdaFunctionError)
      error.message = `${handler}: ${error.message}\n${env.output.slice(-20).join('\n')}`;
    throw error;
  }
}

type Role = 'admin' | 'service' | 'org' | 'none';
type HttpApiEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
type Claims = HttpApiEvent['requestContext']['authorizer']['jwt']['claims'];

interface ApiRequest {
  readonly role?: Role;
  /** The `org_id` claim of an org token. */
  readonly orgId?: string;
  readonly pathParameters?: Record<string, string>;
  readonly query?: Record<string, string>;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

interface ApiAnswer<B = Record<string, unknown>> {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: B;
}

/**
 * The HTTP API event API Gateway sends for a request on this route (payload format 2.0), from the
 * fixture: the route key, raw path, query, body and headers of the request, and the JWT
 * authorizer's verified claims (as strings, as API Gateway passes them) and scopes of the role's
 * token. A route without authorization gets no authorizer.
 */
function apiEvent(routeKey: string, request: ApiRequest): HttpApiEvent {
  const { pathParameters: _example, ...base } = fixture('http-api-jwt-request') as unknown as HttpApiEvent;
  const { authorizer, ...context } = base.requestContext;
  const [method, template] = routeKey.split(' ') as [string, string];
  const pathParameters = request.pathParameters ?? {};
  const rawPath = template.replace(/\{([^}]+)\}/g, (_match, name: string) =>
    encodeURIComponent(pathParameters[name] ?? ''),
  );
  const body = request.body === undefined ? undefined : JSON.stringify(request.body);
  const role = request.role ?? 'admin';
  const { authorization, ...headers } = base.headers;
  const now = new Date();
  return {
    ...base,
    routeKey,
    rawPath,
    ...(request.query
      ? { rawQueryString: new URLSearchParams(request.query).toString(), queryStringParameters: request.query }
      : {}),
    headers: {
      ...headers,
      ...(role === 'none' ? {} : { authorization }),
      ...(body === undefined
        ? {}
        : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }),
      ...request.headers,
    },
    requestContext: {
      ...context,
      routeKey,
      http: { ...context.http, method, path: rawPath },
      requestId: randomUUID(),
      time: apiGatewayTime(now),
      timeEpoch: now.getTime(),
      ...(role === 'none'
        ? {}
        : { authorizer: { ...authorizer, jwt: jwtOf(role, authorizer.jwt.claims, request.orgId) } }),
    } as HttpApiEvent['requestContext'],
    ...(Object.keys(pathParameters).length > 0 ? { pathParameters } : {}),
    ...(body === undefined ? {} : { body }),
  };
}

/** The claims and scopes of a role's token, from the fixture's (an admin's access token); claims are strings, as API Gateway passes them. */
function jwtOf(
  role: Exclude<Role, 'none'>,
  admin: Claims,
  orgId: string | undefined,
): { claims: Claims; scopes: string[] } {
  switch (role) {
    case 'admin':
      return { claims: admin, scopes: [String(admin.scope)] };
    case 'service': {
      // A machine token (client credentials): no user; the client is the subject.
      const { username: _user, email: _email, auth_time: _authTime, ...claims } = admin;
      return {
        claims: { ...claims, sub: String(claims.client_id), scope: 'feature-flags/service' },
        scopes: ['feature-flags/service'],
      };
    }
    case 'org':
      return {
        claims: { ...admin, sub: 'org-user-1', scope: 'feature-flags/org', org_id: orgId ?? '' },
        scopes: ['feature-flags/org'],
      };
  }
}

/** API Gateway's `requestContext.time`: `23/Nov/2026:10:15:00 +0000`. */
function apiGatewayTime(date: Date): string {
  const [, day, month, year, time] = date.toUTCString().replace(',', '').split(' ');
  return `${day}/${month}/${year}:${time} +0000`;
}

/** Sends a request to the function the deployed route invokes, and reads its answer as API Gateway does. */
async function call<B = Record<string, unknown>>(routeKey: string, request: ApiRequest = {}): Promise<ApiAnswer<B>> {
  const functionId = routes.get(routeKey);
  const handler = functionId ? handlerOf.get(functionId) : undefined;
  if (!handler) throw new Error(`the template has no route ${routeKey} to a declared function`);
  const answer = (await invokeFunction(handler, apiEvent(routeKey, request))) as {
    statusCode: number;
    headers?: Record<string, string>;
    body?: string;
  };
  const headers = Object.fromEntries(
    Object.entries(answer.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]),
  );
  const json = /json/.test(headers['content-type'] ?? '') && answer.body;
  return { status: answer.statusCode, headers, body: (json ? JSON.parse(answer.body!) : answer.body) as B };
}

const orgItems = (orgId: string) => allOrgItems(client, tableName, [orgId]);
const flagRows = async (orgId: string) => (await orgItems(orgId)).filter((item) => String(item.sk).startsWith('FLAG#'));

const orgId = `bundle-${randomUUID()}`;
const otherOrg = `bundle-other-${randomUUID()}`;

describe('the function bundles cdk deploys, run as Lambda runs them', () => {
  test('OrgCreated, as the rule on the org bus delivers it, provisions the org: a row per registry flag, then the org record; a redelivery changes nothing', async () => {
    const targets = ruleTargets(stage.stateless, 'OrgCreated').map((id) => handlerOf.get(id));
    expect(targets).toEqual(['org-created']);
    const event = {
      ...fixture('org-created'),
      id: randomUUID(),
      detail: { ...(fixture('org-created').detail as object), org_id: orgId },
    };

    expect(await invokeFunction('org-created', event)).toBeNull();

    const items = await orgItems(orgId);
    expect(items.filter((item) => item.sk === '#ORG')).toEqual([
      expect.objectContaining({
        org_id: orgId,
        registry_version: registry.version,
        provisioned_by: 'event:org-service',
      }),
    ]);
    expect((await flagRows(orgId)).map((row) => [row.key, row.enabled, row.source])).toEqual(
      registry.flags
        .map((flag) => [flag.key, flag.default_enabled, 'provisioned'])
        .sort(([a], [b]) => String(a).localeCompare(String(b))),
    );
    await invokeFunction('org-created', { ...event, id: randomUUID() });
    expect(await orgItems(orgId)).toEqual(items);
  });

  test('a malformed OrgCreated fails the invocation (for EventBridge to retry, then dead-letter) and writes nothing', async () => {
    const event = { ...fixture('org-created'), detail: { org_id: 'not/an org' } };

    const failure = await invokeFunction('org-created', event).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(LambdaFunctionError);
    expect((failure as LambdaFunctionError).errorMessage).toMatch(/org_id/);
    expect(await orgItems('not/an org')).toEqual([]);
  });

  test('OrgUpdated, as its rule delivers it, changes the attributes; GET /orgs/{org_id} shows them and PUT /orgs/{org_id}/attributes sets them', async () => {
    const targets = ruleTargets(stage.stateless, 'OrgUpdated').map((id) => handlerOf.get(id));
    expect(targets).toEqual(['org-updated']);
    const created = await call<{ attributes: Record<string, string> }>('GET /orgs/{org_id}', {
      pathParameters: { org_id: orgId },
      role: 'service',
    });
    expect(created.body.attributes).toEqual({ plan: 'enterprise' });

    const event = {
      ...fixture('org-updated'),
      detail: { ...(fixture('org-updated').detail as object), org_id: orgId },
    };
    expect(await invokeFunction('org-updated', event)).toBeNull();
    const updated = await call<{ attributes: Record<string, string>; attribute_changes: unknown[] }>(
      'GET /orgs/{org_id}',
      { pathParameters: { org_id: orgId } },
    );
    expect(updated.body.attributes).toEqual({ plan: 'pro', region: 'eu' });
    expect(updated.body.attribute_changes).toHaveLength(1);

    const put = await call<{ attributes: Record<string, string> }>('PUT /orgs/{org_id}/attributes', {
      pathParameters: { org_id: orgId },
      body: { attributes: { plan: 'enterprise', region: 'eu' } },
    });
    expect(put.status).toBe(200);
    expect(put.body.attributes).toEqual({ plan: 'enterprise', region: 'eu' });
  });

  test('GET /feature-flags: the registry, internal flags only for staff', async () => {
    const admin = await call<{ registry_version: string; flags: { key: string }[] }>('GET /feature-flags');
    expect(admin.status).toBe(200);
    expect(admin.body.registry_version).toBe(registry.version);
    expect(admin.body.flags.map((flag) => flag.key)).toEqual(registry.flags.map((flag) => flag.key));

    const org = await call<{ flags: { key: string }[] }>('GET /feature-flags', { role: 'org', orgId });
    expect(org.body.flags.map((flag) => flag.key)).toEqual(
      FLAGS.filter((flag) => !flag.internal_only).map((flag) => flag.key),
    );
  });

  test("GET /org-feature-flags/{org_id}: the org's merged flags; an org token sees its own org's non-internal flags, and 404 for another org", async () => {
    const admin = await call<{ org_id: string; flags: { key: string; is_default: boolean; internal_only: boolean }[] }>(
      'GET /org-feature-flags/{org_id}',
      { pathParameters: { org_id: orgId } },
    );
    expect(admin.status).toBe(200);
    expect(admin.headers['cache-control']).toBe('no-store');
    expect(admin.body.flags.map((flag) => [flag.key, flag.is_default, flag.internal_only])).toEqual(
      FLAGS.map((flag) => [flag.key, false, flag.internal_only]),
    );

    const own = await call<{ flags: { key: string }[] }>('GET /org-feature-flags/{org_id}', {
      role: 'org',
      orgId,
      pathParameters: { org_id: orgId },
    });
    expect(own.body.flags.map((flag) => flag.key)).not.toContain(internalFlag.key);
    const other = await call<{ error: { code: string } }>('GET /org-feature-flags/{org_id}', {
      role: 'org',
      orgId: otherOrg,
      pathParameters: { org_id: orgId },
    });
    expect([other.status, other.body.error.code]).toEqual([404, 'org_not_found']);
  });

  test('POST /org-feature-flags: an admin sets a flag, writing the row and its history entry; an unknown key is a 400 naming the valid keys, and a service token is refused', async () => {
    const set = await call<{ changed: boolean; flag: { key: string; user_enabled: boolean; version: number } }>(
      'POST /org-feature-flags',
      { body: { org_id: orgId, key: publicFlag.key, enabled: !publicFlag.default_enabled } },
    );
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({
      changed: true,
      flag: { key: publicFlag.key, user_enabled: !publicFlag.default_enabled },
    });
    expect(set.headers.etag).toBe(`"${set.body.flag.version}"`);
    const row = (await flagRows(orgId)).find((item) => item.key === publicFlag.key);
    expect(row).toMatchObject({
      enabled: !publicFlag.default_enabled,
      source: 'admin',
      updated_by: 'admin-user-1',
      updated_by_email: 'ada@example.com',
    });
    const history = await allHistory(orgId);
    expect(history).toEqual([
      expect.objectContaining({
        key: publicFlag.key,
        enabled: !publicFlag.default_enabled,
        changed_by: 'admin-user-1',
      }),
    ]);

    const unknown = await call<{ error: { code: string; message: string; valid_keys: string[] } }>(
      'POST /org-feature-flags',
      {
        body: { org_id: orgId, key: 'no-such-flag', enabled: true },
      },
    );
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatchObject({
      code: 'unknown_flag',
      valid_keys: registry.flags.map((flag) => flag.key),
    });
    const service = await call<{ error: { code: string } }>('POST /org-feature-flags', {
      role: 'service',
      body: { org_id: orgId, key: publicFlag.key, enabled: true },
    });
    expect(service.status).toBe(403);
    expect(await allHistory(orgId)).toHaveLength(1);
  });

  test('GET /org-feature-flags/{org_id}/flags/{key}: one flag with its ETag, and 304 when If-None-Match names it', async () => {
    const one = await call<{ flag: { key: string; user_enabled: boolean; version: number } }>(
      'GET /org-feature-flags/{org_id}/flags/{key}',
      { pathParameters: { org_id: orgId, key: publicFlag.key } },
    );
    expect(one.status).toBe(200);
    expect(one.body.flag).toMatchObject({ key: publicFlag.key, user_enabled: !publicFlag.default_enabled });
    expect(one.headers.etag).toBe(`"${one.body.flag.version}"`);

    const again = await call('GET /org-feature-flags/{org_id}/flags/{key}', {
      pathParameters: { org_id: orgId, key: publicFlag.key },
      headers: { 'if-none-match': one.headers.etag! },
    });
    expect(again.status).toBe(304);
  });

  test("GET /org-feature-flags/{org_id}/history: the org's changes, newest first, with who made them", async () => {
    const history = await call<{
      changes: { key: string; previous_enabled: boolean; enabled: boolean; changed_by: string }[];
    }>('GET /org-feature-flags/{org_id}/history', { pathParameters: { org_id: orgId }, role: 'service' });
    expect(history.status).toBe(200);
    expect(history.body.changes).toEqual([
      expect.objectContaining({
        key: publicFlag.key,
        previous_enabled: publicFlag.default_enabled,
        enabled: !publicFlag.default_enabled,
        changed_by: 'admin-user-1',
      }),
    ]);
  });

  test('POST /orgs/{org_id}/provision: an org that predates the service is provisioned (201), then is already (200)', async () => {
    const first = await call<{ provisioned: boolean; rows_written: number }>('POST /orgs/{org_id}/provision', {
      pathParameters: { org_id: otherOrg },
    });
    expect([first.status, first.body]).toEqual([
      201,
      expect.objectContaining({ provisioned: true, rows_written: registry.flags.length }),
    ]);
    expect(await flagRows(otherOrg)).toHaveLength(registry.flags.length);

    const second = await call('POST /orgs/{org_id}/provision', { pathParameters: { org_id: otherOrg } });
    expect(second.status).toBe(200);
  });

  test("OpenFeature (OFREP): one flag and all of an org's flags for a service token; the bulk answer's ETag gives 304", async () => {
    const one = await call<{ key: string; value: boolean; reason: string }>('POST /ofrep/v1/evaluate/flags/{key}', {
      role: 'service',
      pathParameters: { key: publicFlag.key },
      body: { context: { targetingKey: orgId } },
    });
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({
      key: publicFlag.key,
      value: !publicFlag.default_enabled,
      reason: 'TARGETING_MATCH',
    });

    const bulk = await call<{ flags: { key: string; value: boolean }[] }>('POST /ofrep/v1/evaluate/flags', {
      role: 'service',
      body: { context: { targetingKey: orgId } },
    });
    expect(bulk.status).toBe(200);
    expect(bulk.body.flags.map((flag) => flag.key)).toEqual(FLAGS.map((flag) => flag.key));
    expect(bulk.headers.etag).toMatch(/^"/);
    const unchanged = await call('POST /ofrep/v1/evaluate/flags', {
      role: 'service',
      body: { context: { targetingKey: orgId } },
      headers: { 'if-none-match': bulk.headers.etag! },
    });
    expect(unchanged.status).toBe(304);
  });

  test('POST /jobs/sync starts a run of the deployed state machine, whose steps the job-worker bundle runs to the end; GET /jobs shows it', async () => {
    const lagging = await seedOrgs(client, tableName, previous, 3, `bundle-lagging-${randomUUID().slice(0, 8)}`);

    const started = await call<{ job_id: string; status: string }>('POST /jobs/{type}', {
      pathParameters: { type: 'sync' },
    });
    expect(started.status).toBe(202);
    expect(started.headers.location).toBe(`/jobs/${started.body.job_id}`);
    const run = await machine.execution(started.body.job_id).finished;
    expect(run.status).toBe('SUCCEEDED');

    const job = await call<{ status: string; counts: Record<string, number> }>('GET /jobs/{job_id}', {
      pathParameters: { job_id: started.body.job_id },
    });
    expect(job.body).toMatchObject({
      status: 'succeeded',
      counts: { orgs_changed: lagging.length, rows_written: lagging.length },
    });
    for (const lagger of lagging)
      expect((await flagRows(lagger)).find((row) => row.key === newestFlag.key)).toMatchObject({ source: 'synced' });
    const list = await call<{ jobs: { job_id: string }[] }>('GET /jobs');
    expect(list.body.jobs.map((listed) => listed.job_id)).toContain(started.body.job_id);
    const resume = await call<{ error: { code: string } }>('POST /jobs/{job_id}/resume', {
      pathParameters: { job_id: started.body.job_id },
    });
    expect([resume.status, resume.body.error.code]).toEqual([409, 'job_not_resumable']);
  }, 120_000);

  test('the rollout routes: draft, preview on the deployed state machine, read its counts and orgs, edit', async () => {
    const created = await call<{ rollout_id: string; status: string }>('POST /rollouts', {
      body: { key: publicFlag.key, enabled: true, audience: { org_ids: [orgId] }, steps: [{ percent: 100 }] },
    });
    expect([created.status, created.body.status]).toEqual([201, 'draft']);
    const path = { pathParameters: { rollout_id: created.body.rollout_id } };
    const started = await call<{ preview: { job_id: string } }>('POST /rollouts/{rollout_id}/preview', path);
    expect(started.status).toBe(202);
    expect((await machine.execution(started.body.preview.job_id).finished).status).toBe('SUCCEEDED');

    const ready = await call<{ status: string; preview: { audience: number } }>('GET /rollouts/{rollout_id}', path);
    expect(ready.body).toMatchObject({ status: 'ready', preview: { audience: 1 } });
    const orgs = await call<{ orgs: { org_id: string }[] }>('GET /rollouts/{rollout_id}/orgs', path);
    expect(orgs.body.orgs.map((org) => org.org_id)).toEqual([orgId]);
    const list = await call<{ rollouts: { rollout_id: string }[] }>('GET /rollouts', {
      query: { key: publicFlag.key },
    });
    expect(list.body.rollouts.map((rollout) => rollout.rollout_id)).toContain(created.body.rollout_id);
    const edited = await call<{ status: string }>('PATCH /rollouts/{rollout_id}', {
      ...path,
      body: { enabled: false },
    });
    expect([edited.status, edited.body.status]).toEqual([200, 'draft']);
  }, 120_000);

  test("a deploy's completion, as CloudFormation's event reaches deploy-sync, starts a sync that runs to the end", async () => {
    const targets = ruleTargets(stage.stateless, 'CloudFormation Stack Status Change').map((id) => handlerOf.get(id));
    expect(targets).toEqual(['deploy-sync']);
    const before = new Set(machine.executions.keys());

    expect(await invokeFunction('deploy-sync', fixture('stack-status-change'))).toBeNull();

    const started = [...machine.executions.values()].filter((execution) => !before.has(execution.name));
    expect(started).toHaveLength(1);
    expect((await started[0]!.finished).status).toBe('SUCCEEDED');
  }, 120_000);

  test('the other routes answer: health, the API description, orgs by prefix, one flag across orgs, one flag’s history, a bulk change', async () => {
    expect(await call('GET /health', { role: 'none' })).toMatchObject({
      status: 200,
      body: { status: 'ok', registry_version: registry.version },
    });
    const description = await call('GET /openapi.json', { role: 'none' });
    expect(description.body).toEqual(
      JSON.parse(readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8')),
    );
    const orgs = await call<{ orgs: { org_id: string }[] }>('GET /orgs', { query: { prefix: 'bundle-other-' } });
    expect(orgs.body.orgs.map((org) => org.org_id)).toEqual([otherOrg]);
    const byFlag = await call<{ orgs: { org_id: string; enabled: boolean }[] }>(
      'GET /org-feature-flags/by-flag/{key}',
      {
        pathParameters: { key: publicFlag.key },
        query: { limit: '200' },
      },
    );
    expect(byFlag.body.orgs).toContainEqual(
      expect.objectContaining({ org_id: orgId, enabled: !publicFlag.default_enabled }),
    );
    const flagHistory = await call<{ changes: { org_id: string }[] }>('GET /feature-flags/{key}/history', {
      pathParameters: { key: publicFlag.key },
    });
    expect(flagHistory.body.changes.map((change) => change.org_id)).toEqual([orgId]);
    const bulk = await call<{ results: { org_id: string; result: string }[] }>('POST /feature-flags/{key}/orgs', {
      pathParameters: { key: publicFlag.key },
      body: { org_ids: [orgId, otherOrg, 'bundle-nobody'], enabled: !publicFlag.default_enabled },
    });
    expect(bulk.body.results.map((result) => [result.org_id, result.result])).toEqual([
      [orgId, 'unchanged'],
      [otherOrg, 'changed'],
      ['bundle-nobody', 'org_not_found'],
    ]);
  });

  test("the change-event publisher, given a history entry as the table's stream delivers it, puts FeatureFlagChanged on the org bus", async () => {
    const [entry] = await allHistory(orgId);
    const record = fixture('history-insert-record') as { dynamodb: Record<string, unknown> };
    record.dynamodb = {
      ...record.dynamodb,
      Keys: marshall({ pk: entry!.pk, sk: entry!.sk }),
      NewImage: marshall(entry!, { removeUndefinedValues: true }),
    };

    expect(await invokeFunction('publish-changes', { Records: [record] })).toEqual({ batchItemFailures: [] });

    expect(putEvents).toEqual([
      expect.objectContaining({
        EventBusName: EVENT_BUS,
        Source: 'org-feature-flags',
        DetailType: 'FeatureFlagChanged',
      }),
    ]);
    expect(JSON.parse(String(putEvents[0]!.Detail))).toMatchObject({
      change_id: entry!.change_id,
      org_id: orgId,
      key: publicFlag.key,
      enabled: !publicFlag.default_enabled,
    });
  });

  test('every function the stack deploys was loaded and invoked, and traced to the X-Ray daemon', async () => {
    const invoked = new Set(invocations.map((invocation) => invocation.functionName));
    expect([...invoked].sort()).toEqual(
      Object.values(functions)
        .map((fn) => fn.logicalId)
        .sort(),
    );
    // Segments are sent over UDP as each invocation ends: every invocation's trace has arrived.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const traced = new Set(segments.map((segment) => /"trace_id":"([^"]+)"/.exec(segment)?.[1]));
    const untraced = invocations.filter((invocation) => !traced.has(traceRoot(invocation.traceId)));
    expect(untraced).toEqual([]);
  });
});

/** The org's history entries, newest first, read from DynamoDB Local. */
async function allHistory(org: string): Promise<Record<string, unknown>[]> {
  const page = await client.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `HIST#${org}` },
      ConsistentRead: true,
      ScanIndexForward: false,
    }),
  );
  return page.Items ?? [];
}
