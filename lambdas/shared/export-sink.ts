import { S3ExportSink } from '../adapters/export-sinks.js';
import type { ExportSink } from '../domain/job-store.js';
import { config } from './config.js';

let sink: ExportSink | undefined;

/**
 * Where orphan cleanup exports rows: the bucket, built on first use. Only the job worker (it
 * declares the `write-exports` grant) imports this module and passes it to `appJobDeps`, so no
 * other function bundles the upload. The local stack exports to a directory instead
 * (lib/local/file-export-sink.ts), which it gives `appJobDeps` before any handler is loaded.
 */
export function appExportSink(): ExportSink {
  if (!sink) {
    const { exportBucket } = config();
    if (!exportBucket) throw new Error('Invalid configuration: EXPORT_BUCKET is not set');
    sink = new S3ExportSink(exportBucket);
  }
  return sink;
}
