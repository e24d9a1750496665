import { performance } from 'node:perf_hooks';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** One request of a scenario, made by worker `worker` (0 to connections - 1); throws when it fails. */
export type Operation = (worker: number) => Promise<void>;

/** Counts the DynamoDB commands one client sends, by command name. */
export interface CallCounter {
  snapshot(): Record<string, number>;
}

/** How long and how hard {@link runLoad} drives a scenario. */
export interface LoadOptions {
  readonly connections: number;
  readonly warmupMs: number;
  readonly durationMs: number;
}

/** What one measured run of a scenario gave; latencies are of successful requests only. */
export interface LoadResult {
  readonly name: string;
  readonly ok: number;
  readonly errors: number;
  /** Up to three distinct error messages, for the report. */
  readonly errorSamples: readonly string[];
  readonly elapsedMs: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** CPU time of this process (user and system) per completed request: the load generator's share included. */
  readonly cpuMsPerRequest: number;
  /** DynamoDB commands per completed request during the measured phase, by command name. */
  readonly callsPerRequest: Readonly<Record<string, number>>;
}

interface Phase {
  latencies: number[];
  errors: number;
  errorSamples: Set<string>;
  elapsedMs: number;
  cpuMs: number;
}

const MAX_ERROR_SAMPLES = 3;

/** Adds a middleware to `client` that counts every command it sends (retries are not counted again). */
export function countCalls(client: DynamoDBDocumentClient): CallCounter {
  const counts: Record<string, number> = {};
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      counts[name] = (counts[name] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name: 'benchCounter' },
  );
  return { snapshot: () => ({ ...counts }) };
}

/** A named load: the request to repeat and the counter of the DynamoDB client it goes through. */
export interface Scenario {
  readonly name: string;
  readonly operation: Operation;
  readonly counter: CallCounter;
}

/**
 * Drives every scenario in turn for the warm-up time and discards the results, so that the JIT
 * of this process and of DynamoDB Local's JVM is equally warm for all of them before any is measured.
 */
export async function warmUp(scenarios: readonly Scenario[], options: LoadOptions): Promise<void> {
  for (const { name, operation } of scenarios) {
    process.stderr.write(`  warm-up ${options.warmupMs / 1000} s: ${name}\n`);
    await drive(operation, options.connections, options.warmupMs);
  }
}

/**
 * Runs the scenario's operation from `connections` concurrent workers, each one request at a
 * time, for the measured duration. It waits for every request in flight before it returns, so
 * the DynamoDB calls counted during the run belong to the measured requests only.
 */
export async function runLoad({ name, operation, counter }: Scenario, options: LoadOptions): Promise<LoadResult> {
  process.stderr.write(`  measure ${options.durationMs / 1000} s: ${name}\n`);
  const before = counter.snapshot();
  const phase = await drive(operation, options.connections, options.durationMs);
  const completed = phase.latencies.length + phase.errors;
  const sorted = phase.latencies.sort((a, b) => a - b);
  return {
    name,
    ok: sorted.length,
    errors: phase.errors,
    errorSamples: [...phase.errorSamples],
    elapsedMs: phase.elapsedMs,
    requestsPerSecond: sorted.length / (phase.elapsedMs / 1000),
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.at(-1) ?? Number.NaN,
    cpuMsPerRequest: completed === 0 ? Number.NaN : phase.cpuMs / completed,
    callsPerRequest: perRequest(difference(counter.snapshot(), before), completed),
  };
}

async function drive(operation: Operation, connections: number, durationMs: number): Promise<Phase> {
  const phase: Phase = { latencies: [], errors: 0, errorSamples: new Set(), elapsedMs: 0, cpuMs: 0 };
  const cpu = process.cpuUsage();
  const started = performance.now();
  const deadline = started + durationMs;
  const worker = async (id: number): Promise<void> => {
    while (performance.now() < deadline) {
      const sent = performance.now();
      try {
        await operation(id);
        phase.latencies.push(performance.now() - sent);
      } catch (error) {
        phase.errors++;
        if (phase.errorSamples.size < MAX_ERROR_SAMPLES)
          phase.errorSamples.add(error instanceof Error ? error.message : String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, (_, id) => worker(id)));
  phase.elapsedMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  phase.cpuMs = (used.user + used.system) / 1000;
  return phase;
}

/** Nearest-rank percentile of an ascending array; NaN when it is empty. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

function difference(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(after)
      .map(([name, count]) => [name, count - (before[name] ?? 0)])
      .filter(([, count]) => count !== 0),
  );
}

function perRequest(counts: Record<string, number>, requests: number): Record<string, number> {
  return Object.fromEntries(
    Object.entries(counts).map(([name, count]) => [name, requests === 0 ? Number.NaN : count / requests]),
  );
}
