import { randomUUID } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { ExportSink, StoredItem } from '../domain/job-store.js';
import { tracer } from '../shared/powertools.js';

const jsonLines = (items: readonly StoredItem[]) => items.map((item) => `${JSON.stringify(item)}\n`).join('');

/**
 * Exports to an S3 bucket (encrypted, versioned, retained): one object per page and attempt under
 * `orphan-exports/<job id>/`, so a page run again never overwrites what an earlier attempt wrote.
 */
export class S3ExportSink implements ExportSink {
  private readonly client = tracer.captureAWSv3Client(new S3Client({ maxAttempts: 3 }));

  constructor(private readonly bucket: string) {}

  async write(jobId: string, page: number, items: readonly StoredItem[]): Promise<string> {
    const key = `${this.prefix(jobId)}page-${String(page).padStart(6, '0')}-${randomUUID()}.jsonl`;
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: jsonLines(items), ContentType: 'application/x-ndjson', IfNoneMatch: '*' }),
    );
    return `s3://${this.bucket}/${key}`;
  }

  location(jobId: string): string {
    return `s3://${this.bucket}/${this.prefix(jobId)}`;
  }

  private prefix(jobId: string): string {
    return `orphan-exports/${jobId}/`;
  }
}

/** Exports to one JSON Lines file per job in a local directory, appended page by page. */
export class FileExportSink implements ExportSink {
  constructor(private readonly dir: string) {}

  async write(jobId: string, _page: number, items: readonly StoredItem[]): Promise<string> {
    const file = this.location(jobId);
    await mkdir(this.dir, { recursive: true });
    await appendFile(file, jsonLines(items), { flush: true });
    return file;
  }

  location(jobId: string): string {
    return path.join(this.dir, `orphans-${jobId}.jsonl`);
  }
}
