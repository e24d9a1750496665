import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

/**
 * A DynamoDB endpoint that answers as told, for the conditions DynamoDB Local never produces
 * (throttling, transaction conflicts, a slow or silent service). It speaks the wire form of AWS
 * JSON 1.0, so the real SDK client, pointed at it with `endpoint`, parses its answers as it
 * parses DynamoDB's.
 */
export interface FakeDynamoDb {
  /** `http://127.0.0.1:<port>`, for the client's `endpoint` or `DYNAMODB_ENDPOINT`. */
  readonly endpoint: string;
  /** Every request received, in order. */
  readonly calls: readonly FakeCall[];
  /** The most requests it has held unanswered at one time. */
  readonly maxInFlight: number;
  /** How each request is answered from now on (the default answers every request with `{}`). */
  respond(responder: Responder): void;
  close(): Promise<void>;
}

/** One request the fake received. */
export interface FakeCall {
  /** The operation, from `X-Amz-Target` (`DynamoDB_20120810.TransactWriteItems` → `TransactWriteItems`). */
  readonly operation: string;
  readonly body: Record<string, unknown>;
  /** `performance.now()` when the request had arrived whole. */
  readonly receivedAt: number;
  /** True once the client closed the connection before the fake answered. */
  readonly abandoned: boolean;
}

/** How to answer one request: a JSON answer (after an optional delay), none at all, or the answer of another endpoint. */
export type FakeAnswer =
  | { readonly status: number; readonly body: unknown; readonly delayMs?: number }
  | { readonly hang: true }
  | { readonly forwardTo: string };

/** Chooses the answer to a request; `index` counts the requests of the same operation, from 0. */
export type Responder = (call: FakeCall, index: number) => FakeAnswer;

/** One entry of `CancellationReasons`: a code, with the old item for a failed condition if asked for. */
export interface CancellationReason {
  readonly Code: string;
  readonly Message?: string;
  readonly Item?: Record<string, unknown>;
}

const ERROR_PREFIX = 'com.amazonaws.dynamodb.v20120810#';

/** The messages DynamoDB gives with each cancellation reason. */
const REASON_MESSAGES: Readonly<Record<string, string>> = {
  ConditionalCheckFailed: 'The conditional request failed',
  TransactionConflict: 'Transaction is ongoing for the item',
  ThrottlingError:
    'Throughput exceeds the current capacity for one or more global secondary indexes. DynamoDB is automatically scaling your index so please try again shortly.',
  ProvisionedThroughputExceeded:
    'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
  RequestLimitExceeded:
    'Throughput exceeds the current throughput limit for your account. Please contact AWS Support at https://aws.amazon.com/support request a limit increase',
};

/** Answers the fake can give. */
export const answer = {
  /** A successful call with this output (`{}` is what TransactWriteItems returns). */
  ok: (body: unknown = {}): FakeAnswer => ({ status: 200, body }),
  /** An error of the service: HTTP 400 and `{ __type, message }`, as DynamoDB sends throttling and conflicts. */
  error: (type: string, message: string, status = 400): FakeAnswer => ({
    status,
    body: { __type: `${ERROR_PREFIX}${type}`, message },
  }),
  /** A cancelled TransactWriteItems, one reason per item of the transaction (`None` for an item that was fine). */
  transactionCanceled: (...reasons: readonly (string | CancellationReason)[]): FakeAnswer => {
    const entries = reasons.map((reason): CancellationReason => {
      const entry = typeof reason === 'string' ? { Code: reason } : reason;
      const message = entry.Message ?? REASON_MESSAGES[entry.Code];
      return { ...entry, ...(message ? { Message: message } : {}) };
    });
    return {
      status: 400,
      body: {
        __type: `${ERROR_PREFIX}TransactionCanceledException`,
        CancellationReasons: entries,
        Message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${entries.map((e) => e.Code).join(', ')}]`,
      },
    };
  },
  /** Accepts the request and never answers. */
  hang: (): FakeAnswer => ({ hang: true }),
  /** What the DynamoDB at `endpoint` (DynamoDB Local) answers to the same request. */
  forward: (endpoint: string): FakeAnswer => ({ forwardTo: endpoint }),
  /** The given answer, `delayMs` after the request arrived. */
  delayed: (delayMs: number, then: FakeAnswer): FakeAnswer => ({ ...then, delayMs }),
};

/** Starts the fake on a free port of 127.0.0.1. */
export async function startFakeDynamoDb(responder: Responder = () => answer.ok()): Promise<FakeDynamoDb> {
  let respond = responder;
  const calls: FakeCall[] = [];
  const perOperation = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  let inFlight = 0;
  let maxInFlight = 0;

  const server = createServer((req, res) => {
    readJson(req).then(
      (body) => {
        const target = String(req.headers['x-amz-target'] ?? '');
        const call = {
          operation: target.slice(target.indexOf('.') + 1),
          body,
          receivedAt: performance.now(),
          abandoned: false,
        };
        calls.push(call);
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        res.on('close', () => {
          inFlight -= 1;
          if (!res.writableFinished) call.abandoned = true;
        });
        const index = perOperation.get(call.operation) ?? 0;
        perOperation.set(call.operation, index + 1);
        const chosen = respond(call, index);
        if ('hang' in chosen) return;
        if ('forwardTo' in chosen) {
          forward(chosen.forwardTo, req, body).then(
            (upstream) => res.writeHead(upstream.status, upstream.headers).end(upstream.text),
            () => res.destroy(),
          );
          return;
        }
        const timer = setTimeout(() => {
          timers.delete(timer);
          if (!res.destroyed) send(res, chosen.status, chosen.body);
        }, chosen.delayMs ?? 0);
        timers.add(timer);
      },
      () => send(res, 400, { __type: `${ERROR_PREFIX}SerializationException`, message: 'Malformed request body' }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    get maxInFlight() {
      return maxInFlight;
    },
    respond: (next) => {
      respond = next;
      perOperation.clear();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const timer of timers) clearTimeout(timer);
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const headers: Record<string, string> = {
    'content-type': 'application/x-amz-json-1.0',
    'x-amzn-requestid': randomUUID(),
  };
  const type = (body as { __type?: unknown }).__type;
  if (typeof type === 'string') headers['x-amzn-errortype'] = type.slice(ERROR_PREFIX.length);
  res.writeHead(status, headers);
  res.end(JSON.stringify(body));
}

/** Sends the request on to `endpoint` as the client sent it (signature included) and reads the answer. */
async function forward(
  endpoint: string,
  req: IncomingMessage,
  body: Record<string, unknown>,
): Promise<{ status: number; headers: Record<string, string>; text: string }> {
  const headers: Record<string, string> = {};
  for (const name of ['authorization', 'content-type', 'x-amz-date', 'x-amz-target', 'x-amz-security-token']) {
    const value = req.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  const upstream = await fetch(endpoint, { method: 'POST', headers, body: JSON.stringify(body) });
  const answered: Record<string, string> = {};
  for (const name of ['content-type', 'x-amzn-requestid', 'x-amzn-errortype']) {
    const value = upstream.headers.get(name);
    if (value) answered[name] = value;
  }
  return { status: upstream.status, headers: answered, text: await upstream.text() };
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
}
