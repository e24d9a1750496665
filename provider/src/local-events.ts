import { statSync, watch, type FSWatcher } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '@openfeature/server-sdk';
import { orgIdOfChange, type Invalidatable } from './changes.js';

/** Options of {@link followLocalEvents}. */
export interface FollowLocalEventsOptions {
  /** The local stack's event log; default `$DATA_DIR/events.jsonl`, DATA_DIR defaulting to `.data` (from the working directory). */
  readonly file?: string;
  /** Stops following. */
  readonly signal?: AbortSignal;
  /** How often the file is checked besides `fs.watch` notifications. Default 200 ms. */
  readonly pollIntervalMs?: number;
  /** Where unreadable lines and read errors are reported; default the console. */
  readonly logger?: Logger;
}

/** A running follower of the local event log. */
export interface LocalEventsFollower {
  /** Stops following (idempotent). */
  close(): void;
}

/** The local stack's event log as the project's local stack writes it. */
export function defaultLocalEventsFile(): string {
  return path.resolve(process.env.DATA_DIR || '.data', 'events.jsonl');
}

/**
 * For a service running next to the project's local stack: follows its event log (one JSON
 * event per line, appended for every event put on the local bus) from its current end, and
 * invalidates the org of each `FeatureFlagChanged` appended. A file that does not exist yet is
 * waited for; a truncated one is read again from its start.
 */
export function followLocalEvents(
  provider: Invalidatable,
  options: FollowLocalEventsOptions = {},
): LocalEventsFollower {
  const file = path.resolve(options.file ?? defaultLocalEventsFile());
  const logger = options.logger ?? console;
  let offset = sizeOf(file) ?? 0;
  let partial: Buffer = Buffer.alloc(0);
  let closed = false;
  let reading = false;
  let again = false;
  let watcher: FSWatcher | undefined;

  const read = async (): Promise<void> => {
    const size = await stat(file).then(
      (info) => info.size,
      () => undefined,
    );
    if (size === undefined) return;
    if (size < offset) {
      offset = 0;
      partial = Buffer.alloc(0);
    }
    if (size === offset) return;
    const handle = await open(file, 'r');
    let chunk: Buffer;
    try {
      const buffer = Buffer.alloc(size - offset);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
      offset += bytesRead;
      chunk = Buffer.concat([partial, buffer.subarray(0, bytesRead)]);
    } finally {
      await handle.close();
    }
    const end = chunk.lastIndexOf(0x0a) + 1;
    partial = chunk.subarray(end);
    const orgIds = new Set<string>();
    for (const line of chunk.subarray(0, end).toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      const orgId = orgIdOfChange(line);
      if (orgId !== undefined) orgIds.add(orgId);
    }
    if (closed) return;
    for (const orgId of orgIds) {
      provider
        .invalidate(orgId)
        .catch((error: unknown) => logger.error(`org-feature-flags: invalidating org "${orgId}" failed`, error));
    }
  };

  const check = (): void => {
    if (closed) return;
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    read()
      .catch((error: unknown) => logger.warn(`org-feature-flags: reading ${file} failed`, error))
      .finally(() => {
        reading = false;
        if (again) {
          again = false;
          check();
        }
      });
  };

  const startWatching = (): void => {
    if (watcher || closed) return;
    try {
      watcher = watch(path.dirname(file), { persistent: false }, (_event, name) => {
        if (name === null || name === path.basename(file)) check();
      });
      watcher.on('error', () => {
        watcher?.close();
        watcher = undefined;
      });
    } catch {
      // The directory does not exist yet: polling sees the file appear and watching is tried again.
      watcher = undefined;
    }
  };

  startWatching();
  const timer = setInterval(() => {
    startWatching();
    check();
  }, options.pollIntervalMs ?? 200);
  timer.unref();

  const close = (): void => {
    if (closed) return;
    closed = true;
    clearInterval(timer);
    watcher?.close();
    watcher = undefined;
    options.signal?.removeEventListener('abort', close);
  };
  if (options.signal?.aborted) close();
  else options.signal?.addEventListener('abort', close, { once: true });
  return { close };
}

function sizeOf(file: string): number | undefined {
  try {
    return statSync(file).size;
  } catch {
    return undefined;
  }
}
