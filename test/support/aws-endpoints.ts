import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An error of the service, as AWS JSON protocols send it: a status and `{ __type, message }`. */
export class AwsServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = type;
  }
}

/** One operation: the request's JSON body in, the answer's body out, or an {@link AwsServiceError} thrown. */
export type AwsJsonOperation = (body: Record<string, unknown>) => unknown;

/** An endpoint the real AWS SDK clients can be pointed at with `endpoint`. */
export interface AwsJsonEndpoint {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  /** Every request received, by operation (its `X-Amz-Target`), in order. */
  readonly requests: readonly { readonly target: string; readonly body: Record<string, unknown> }[];
  close(): Promise<void>;
}

/**
 * Serves the operations of AWS services that speak AWS JSON 1.0 or 1.1 (Step Functions, EventBridge),
 * each by its `X-Amz-Target` (`AWSStepFunctions.StartExecution`, `AWSEvents.PutEvents`), on a free
 * port of 127.0.0.1. Request signatures are not checked; an unknown target is a 400
 * `UnknownOperationException`, as AWS answers it.
 */
export async function startAwsJsonEndpoint(
  operations: Readonly<Record<string, AwsJsonOperation>>,
): Promise<AwsJsonEndpoint> {
  const requests: { target: string; body: Record<string, unknown> }[] = [];
  const server = createServer((req, res) => {
    const target = String(req.headers['x-amz-target'] ?? '');
    const contentType = String(req.headers['content-type'] ?? 'application/x-amz-json-1.0');
    const send = (status: number, body: unknown, errorType?: string) => {
      res.writeHead(status, {
        'content-type': contentType,
        'x-amzn-requestid': randomUUID(),
        ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
      });
      res.end(JSON.stringify(body));
    };
    readJson(req)
      .then(async (body) => {
        requests.push({ target, body });
        const operation = operations[target];
        if (!operation) throw new AwsServiceError('UnknownOperationException', `No operation ${target}`);
        send(200, (await operation(body)) ?? {});
      })
      .catch((error: unknown) => {
        const failure =
          error instanceof AwsServiceError
            ? error
            : new AwsServiceError('InternalFailure', error instanceof Error ? error.message : String(error), 500);
        send(failure.status, { __type: failure.type, message: failure.message }, failure.type);
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text || '{}') as Record<string, unknown>;
  } catch {
    throw new AwsServiceError('SerializationException', 'The request body is not JSON');
  }
}
