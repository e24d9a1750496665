import { createHash, createHmac } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { SignatureV4 } from '@smithy/signature-v4';
import { S3ExportSink } from '../../../lambdas/adapters/export-sinks.js';

interface Received {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A stand-in for the bucket's endpoint: records each request and answers with the next scripted reply (200 when none is left). */
class BucketEndpoint {
  readonly received: Received[] = [];
  replies: { status: number; body?: string }[] = [];
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        this.received.push({
          method: request.method ?? '',
          path: request.url ?? '',
          headers: request.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        });
        const reply = this.replies.shift() ?? { status: 200 };
        response.writeHead(reply.status, { 'content-type': 'application/xml' }).end(reply.body ?? '');
      });
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** SHA-256 in the shape the SDK's signer takes, from node:crypto. */
class Sha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', Buffer.from(secret as ArrayBuffer));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(typeof data === 'string' ? data : Buffer.from(data as ArrayBuffer));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'session-token-example',
};
const env = {
  AWS_ACCESS_KEY_ID: credentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
  AWS_SESSION_TOKEN: credentials.sessionToken,
};

/** The signature the AWS SDK's own signer computes for the request as received, over the headers the request says it signed. */
async function sdkSignature(request: Received, host: string): Promise<string> {
  const signedHeaders = /SignedHeaders=([^,]+)/.exec(String(request.headers.authorization))?.[1]?.split(';') ?? [];
  const headers = Object.fromEntries(
    signedHeaders.map((name) => [name, name === 'host' ? host : String(request.headers[name])]),
  );
  const amzDate = String(request.headers['x-amz-date']);
  const signingDate = new Date(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13)}`,
  );
  const signer = new SignatureV4({
    service: 's3',
    region: 'eu-west-1',
    credentials,
    sha256: Sha256,
    uriEscapePath: false,
    applyChecksum: false,
  });
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: 'http:',
      hostname: host,
      path: request.path,
      query: {},
      headers,
      body: request.body,
    },
    { signingDate, signableHeaders: new Set(signedHeaders) },
  );
  return /Signature=([0-9a-f]+)/.exec(String(signed.headers.authorization))?.[1] ?? 'none';
}

describe('S3ExportSink against an S3-style endpoint', () => {
  const bucket = new BucketEndpoint();
  beforeAll(() => bucket.start());
  afterAll(() => bucket.stop());
  beforeEach(() => {
    bucket.received.length = 0;
    bucket.replies = [];
  });
  const sink = () => new S3ExportSink('exports-bucket', { endpoint: bucket.url, region: 'eu-west-1', env });
  const items = [
    { pk: 'ORG#acme', sk: 'FLAG#old-flag', enabled: true },
    { pk: 'ORG#acme', sk: 'FLAG#gone-flag', enabled: false },
  ];

  it('puts one page as one JSON Lines object that never overwrites, signed with SigV4 for s3 over its payload, and says where it went', async () => {
    const location = await sink().write('job-1', 3, items);

    expect(bucket.received).toHaveLength(1);
    const [put] = bucket.received as [Received];
    expect(put.method).toBe('PUT');
    expect(put.path).toMatch(/^\/orphan-exports\/job-1\/page-000003-[0-9a-f-]{36}\.jsonl$/);
    expect(location).toBe(`s3://exports-bucket${put.path}`);
    expect(put.body.split('\n')).toEqual([...items.map((item) => JSON.stringify(item)), '']);
    expect(put.headers['content-type']).toBe('application/x-ndjson');
    expect(put.headers['if-none-match']).toBe('*');
    expect(put.headers['x-amz-security-token']).toBe(credentials.sessionToken);
    expect(put.headers['x-amz-content-sha256']).toBe(createHash('sha256').update(put.body).digest('hex'));
    expect(put.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/s3\/aws4_request, SignedHeaders=\S*if-none-match\S*, Signature=[0-9a-f]{64}$/,
    );
    const signature = /Signature=([0-9a-f]+)/.exec(String(put.headers.authorization))?.[1];
    expect(await sdkSignature(put, new URL(bucket.url).host)).toBe(signature);
  });

  it('retries a 503 with the same request and succeeds', async () => {
    bucket.replies = [{ status: 503, body: '<Error><Code>SlowDown</Code></Error>' }];
    await sink().write('job-2', 1, items);
    expect(bucket.received).toHaveLength(2);
    expect(bucket.received[0]?.path).toBe(bucket.received[1]?.path);
  });

  it('fails with the status and S3 error code when the bucket refuses, without retrying', async () => {
    bucket.replies = [
      {
        status: 403,
        body: '<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>',
      },
    ];
    await expect(sink().write('job-3', 1, items)).rejects.toThrow(
      /^S3 PutObject of s3:\/\/exports-bucket\/orphan-exports\/job-3\/page-000001-.*\.jsonl failed: 403 AccessDenied$/,
    );
    expect(bucket.received).toHaveLength(1);
  });

  it('fails clearly, sending nothing, without credentials in the environment', async () => {
    await expect(
      new S3ExportSink('exports-bucket', { endpoint: bucket.url, env: {} }).write('job-4', 1, items),
    ).rejects.toThrow(/No AWS credentials/);
    expect(bucket.received).toHaveLength(0);
  });
});
