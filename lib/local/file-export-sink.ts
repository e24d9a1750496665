import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { jsonLines } from '../../lambdas/adapters/export-sinks.js';
import type { ExportSink, StoredItem } from '../../lambdas/domain/job-store.js';

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
