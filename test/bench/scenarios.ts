import { randomUUID } from 'node:crypto';
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DynamoDbFlagStore } from '../../lambdas/adapters/dynamodb-flag-store.js';
import { ROUTES } from '../../lambdas/http/routes.js';
import { authorize, type LocalKeys } from '../../lib/local/auth.js';
import { buildHttpApiEvent, lambdaContext } from '../../lib/local/http-api.js';
import type { HttpTarget } from '../../lib/local/server.js';
import { timeoutSecondsOf } from '../../lib/service/handlers.js';
import { assertOk, type HttpClient } from './http-client.js';
import type { Operation } from './load.js';

// The org partition's key, as lambdas/adapters/dynamodb-flag-store.ts writes it.
const orgPk = (orgId: string) => `ORG#${orgId}`;

/** One flag row of one org, with the state and version last written to it. */
export interface FlagSlot {
  readonly orgId: string;
  readonly key: string;
  enabled: boolean;
  version: number;
}

interface MergedFlagBody {
  key: string;
  user_enabled: boolean;
  version: number;
}

/**
 * The flag rows the write scenarios toggle. Worker `w` owns every row of org `w` and only those,
 * so no two transactions in flight ever touch the same item: DynamoDB cancels concurrent
 * transactions on one item.
 */
export class FlagSlots {
  private readonly cursors: number[];

  private constructor(private readonly byWorker: readonly (readonly FlagSlot[])[]) {
    this.cursors = byWorker.map(() => 0);
  }

  /** Reads each org's current flags over HTTP; worker `i` gets the rows of `orgIds[i]`. */
  static async load(http: HttpClient, orgIds: readonly string[]): Promise<FlagSlots> {
    const groups = await Promise.all(
      orgIds.map(async (orgId) => {
        const { flags } = await http.json<{ flags: MergedFlagBody[] }>('GET', `/org-feature-flags/${orgId}`);
        return flags.map((flag): FlagSlot => ({
          orgId,
          key: flag.key,
          enabled: flag.user_enabled,
          version: flag.version,
        }));
      }),
    );
    return new FlagSlots(groups);
  }

  /** How many rows worker `worker` owns. */
  size(worker: number): number {
    return this.byWorker[worker]?.length ?? 0;
  }

  /** The worker's next row, round robin over the rows it owns. */
  next(worker: number): FlagSlot {
    const slots = this.byWorker[worker];
    const cursor = this.cursors[worker];
    if (!slots || slots.length === 0 || cursor === undefined) throw new Error(`Worker ${worker} owns no flag rows`);
    this.cursors[worker] = cursor + 1;
    return slots[cursor % slots.length] as FlagSlot;
  }
}

/** `GET /org-feature-flags/{org_id}` over HTTP, round robin over the orgs. */
export function httpGetOrgFlags(http: HttpClient, orgIds: readonly string[]): Operation {
  let next = 0;
  return async () => {
    const path = `/org-feature-flags/${orgIds[next++ % orgIds.length]}`;
    assertOk(await http.send('GET', path), `GET ${path}`);
  };
}

/**
 * `GET /health` over HTTP: an open route (no JWT check) whose handler touches no table, so what it
 * costs is the round trip through the local gateway itself, HTTP on both ends included.
 */
export function httpHealth(http: HttpClient): Operation {
  return async () => {
    assertOk(await http.send('GET', '/health'), 'GET /health');
  };
}

/** `POST /org-feature-flags` flipping the worker's next flag; a 2xx that changed nothing is an error. */
export function httpToggleFlag(http: HttpClient, slots: FlagSlots): Operation {
  return async (worker) => {
    const slot = slots.next(worker);
    const enabled = !slot.enabled;
    const result = await http.json<{ changed: boolean; flag: MergedFlagBody }>('POST', '/org-feature-flags', {
      org_id: slot.orgId,
      key: slot.key,
      enabled,
    });
    if (!result.changed)
      throw new Error(`POST /org-feature-flags ${slot.orgId}/${slot.key}=${enabled} changed nothing`);
    slot.enabled = result.flag.user_enabled;
    slot.version = result.flag.version;
  };
}

const GET_ORG_FLAGS = ROUTES.find((route) => route.handler === 'get-org-flags');

/** The authorizer's verdict on the bench's token for `GET /org-feature-flags/{org_id}`: the claims it hands the handler. */
async function verifiedJwt(keys: LocalKeys, token: string) {
  if (!GET_ORG_FLAGS) throw new Error('No route is declared for get-org-flags');
  const verdict = await authorize(keys, `Bearer ${token}`, GET_ORG_FLAGS.scopes);
  if (!verdict.ok) throw new Error(`The bench's token is refused: ${verdict.reason}`);
  return { claims: verdict.claims, scopes: verdict.scopes };
}

/**
 * The GET handler alone: invoked in this process with the event the local gateway builds for each
 * org (built once, before the measured requests), so no HTTP, authorizer or event building is
 * measured; only what Lambda runs. `handler` is the module the local stack serves the route with.
 */
export async function inProcessGetOrgFlags(
  handler: HttpTarget,
  keys: LocalKeys,
  token: string,
  orgIds: readonly string[],
): Promise<Operation> {
  if (!GET_ORG_FLAGS) throw new Error('No route is declared for get-org-flags');
  const route = GET_ORG_FLAGS;
  const jwt = await verifiedJwt(keys, token);
  const events = orgIds.map((orgId) =>
    buildHttpApiEvent(
      {
        method: 'GET',
        rawPath: `/org-feature-flags/${orgId}`,
        rawQueryString: '',
        headers: { host: 'localhost', authorization: `Bearer ${token}` },
        body: Buffer.alloc(0),
        sourceIp: '127.0.0.1',
      },
      route,
      { org_id: orgId },
      jwt,
    ),
  );
  let next = 0;
  return async () => {
    const event = events[next++ % events.length];
    const result = await handler(event, lambdaContext(route.handler, timeoutSecondsOf(route.handler) * 1000));
    if (result?.statusCode !== 200) throw new Error(`get-org-flags in process: ${result?.statusCode}`);
  };
}

/** The local gateway's JWT check alone, on the bench's token: what API Gateway's authorizer does in AWS. */
export function authorizerAlone(keys: LocalKeys, token: string): Operation {
  if (!GET_ORG_FLAGS) throw new Error('No route is declared for get-org-flags');
  const scopes = GET_ORG_FLAGS.scopes;
  return async () => {
    const verdict = await authorize(keys, `Bearer ${token}`, scopes);
    if (!verdict.ok) throw new Error(`The bench's token is refused: ${verdict.reason}`);
  };
}

/** The read the GET handler makes, bare: one consistent Query of an org's partition. */
export function bareOrgQuery(client: DynamoDBDocumentClient, tableName: string, orgIds: readonly string[]): Operation {
  let next = 0;
  return async () => {
    const orgId = orgIds[next++ % orgIds.length] as string;
    const page = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': orgPk(orgId) },
        ConsistentRead: true,
      }),
    );
    if (!page.Items?.length) throw new Error(`Query of ${orgPk(orgId)} returned no items`);
  };
}

/**
 * The write the POST handler makes, without HTTP, the authorizer or the handler: the store's own
 * transaction (flag row update and history entry) on a plain client.
 */
export function storeToggle(store: DynamoDbFlagStore, slots: FlagSlots, actor: string): Operation {
  return async (worker) => {
    const slot = slots.next(worker);
    const outcome = await store.applyChange({
      orgId: slot.orgId,
      key: slot.key,
      enabled: !slot.enabled,
      registryDefault: false,
      actor,
      requestId: randomUUID(),
      now: new Date(),
    });
    if (outcome.kind !== 'changed') throw new Error(`store change of ${slot.orgId}/${slot.key} was ${outcome.kind}`);
    slot.enabled = outcome.row.enabled;
    slot.version = outcome.row.version;
  };
}
