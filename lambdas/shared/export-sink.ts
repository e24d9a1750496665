import { FileExportSink, S3ExportSink } from '../adapters/export-sinks.js';
import type { ExportSink } from '../domain/job-store.js';
import { config } from './config.js';

let sink: ExportSink | undefined;

/**
 * Where orphan cleanup exports rows: the bucket in AWS, a directory locally; built on first use.
 * Only the job worker (it declares the `write-exports` grant) and the local stack import this
 * module and pass it to `appJobDeps`, so no other function bundles the S3 client.
 */
export function appExportSink(): ExportSink {
  if (!sink) {
    const settings = config();
    if (settings.exportBucket) sink = new S3ExportSink(settings.exportBucket);
    else if (settings.exportDir) sink = new FileExportSink(settings.exportDir);
    else throw new Error('Invalid configuration: neither EXPORT_BUCKET nor EXPORT_DIR is set');
  }
  return sink;
}
