import { createHash, randomUUID } from 'node:crypto';
import { AwsClient } from 'aws4fetch';
import type { ExportSink, StoredItem } from '../domain/job-store.js';
import { deadlineSignal } from '../shared/deadline.js';

/** Items as JSON Lines, the format of every export. */
export const jsonLines = (items: readonly StoredItem[]) => items.map((item) => `${JSON.stringify(item)}\n`).join('');

/** Attempts of one upload: a 5xx or 429 answer is retried with back-off, as the SDK clients do. */
const UPLOAD_ATTEMPTS = 3;

/** Where the S3 sink sends its requests and with which credentials; Lambda's environment by default. */
export interface S3SinkOptions {
  /** The bucket's endpoint, `https://<bucket>.s3.<region>.amazonaws.com` unless given. */
  readonly endpoint?: string;
  readonly region?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Exports to an S3 bucket (encrypted, versioned, retained): one object per page and attempt under
 * `orphan-exports/<job id>/`, so a page run again never overwrites what an earlier attempt wrote.
 * One signed PUT per page through `aws4fetch` rather than the S3 client, whose load would add about
 * a quarter to the job worker's cold start (docs/architecture.md, Cold start); the Tracer records
 * the request as it records every `fetch`.
 */
export class S3ExportSink implements ExportSink {
  private readonly endpoint: string;
  private readonly region: string;
  private readonly env: NodeJS.ProcessEnv;

  constructor(
    private readonly bucket: string,
    options: S3SinkOptions = {},
  ) {
    this.env = options.env ?? process.env;
    this.region = options.region ?? this.env.AWS_REGION ?? 'us-east-1';
    this.endpoint = options.endpoint ?? `https://${bucket}.s3.${this.region}.amazonaws.com`;
  }

  async write(jobId: string, page: number, items: readonly StoredItem[]): Promise<string> {
    const key = `${this.prefix(jobId)}page-${String(page).padStart(6, '0')}-${randomUUID()}.jsonl`;
    const body = jsonLines(items);
    const response = await this.client().fetch(`${this.endpoint}/${key}`, {
      method: 'PUT',
      body,
      headers: {
        'content-type': 'application/x-ndjson',
        'if-none-match': '*',
        'x-amz-content-sha256': createHash('sha256').update(body).digest('hex'),
      },
      signal: deadlineSignal(),
    });
    if (!response.ok) {
      const code = /<Code>([^<]+)<\/Code>/.exec(await response.text())?.[1];
      throw new Error(`S3 PutObject of s3://${this.bucket}/${key} failed: ${response.status}${code ? ` ${code}` : ''}`);
    }
    await response.body?.cancel();
    return `s3://${this.bucket}/${key}`;
  }

  location(jobId: string): string {
    return `s3://${this.bucket}/${this.prefix(jobId)}`;
  }

  private prefix(jobId: string): string {
    return `orphan-exports/${jobId}/`;
  }

  /** A signer with the function's current credentials (Lambda sets them in the environment). */
  private client(): AwsClient {
    const {
      AWS_ACCESS_KEY_ID: accessKeyId,
      AWS_SECRET_ACCESS_KEY: secretAccessKey,
      AWS_SESSION_TOKEN: sessionToken,
    } = this.env;
    if (!accessKeyId || !secretAccessKey)
      throw new Error('No AWS credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)');
    return new AwsClient({
      accessKeyId,
      secretAccessKey,
      sessionToken,
      service: 's3',
      region: this.region,
      retries: UPLOAD_ATTEMPTS - 1,
    });
  }
}
