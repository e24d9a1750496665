import os from 'node:os';
import type { LoadResult } from './load.js';

/** A labelled `process.memoryUsage()` reading. */
export interface MemoryReading {
  readonly label: string;
  readonly usage: NodeJS.MemoryUsage;
}

/** Node, OS and CPU of this machine. */
export function machineLines(): string[] {
  const cpus = os.cpus();
  return [
    `node ${process.version} on ${os.platform()} ${os.arch()} (${os.release()})`,
    `${cpus.length} CPUs (${cpus[0]?.model.trim() ?? 'unknown model'}), ${(os.totalmem() / 1024 ** 3).toFixed(1)} GB RAM`,
  ];
}

/** One line per setting, name and value aligned. */
export function settingLines(settings: Readonly<Record<string, string | number>>): string[] {
  const width = Math.max(...Object.keys(settings).map((name) => name.length));
  return Object.entries(settings).map(([name, value]) => `${name.padEnd(width)}  ${value}`);
}

/** The results table: throughput, latency, errors and DynamoDB calls per request. */
export function resultTable(results: readonly LoadResult[]): string[] {
  const header = [
    'scenario',
    'ok',
    'req/s',
    'p50 ms',
    'p99 ms',
    'max ms',
    'CPU ms/req',
    'errors',
    'DynamoDB calls/request',
  ];
  const rows = results.map((r) => [
    r.name,
    String(r.ok),
    r.requestsPerSecond.toFixed(0),
    r.p50Ms.toFixed(2),
    r.p99Ms.toFixed(2),
    r.maxMs.toFixed(2),
    r.cpuMsPerRequest.toFixed(3),
    String(r.errors),
    callsText(r.callsPerRequest),
  ]);
  return table([header, ...rows]);
}

/** `subject` against `baseline`: throughput ratio and latency ratios (how many times slower). */
export function ratioLine(subject: LoadResult, baseline: LoadResult): string {
  return (
    `${subject.name} vs ${baseline.name}: req/s ${ratio(subject.requestsPerSecond, baseline.requestsPerSecond)}, ` +
    `p50 ${ratio(subject.p50Ms, baseline.p50Ms)}, p99 ${ratio(subject.p99Ms, baseline.p99Ms)}`
  );
}

/**
 * Where the GET's CPU goes, per request, from the scenarios measured in this run: the bare Query
 * (with the load generator's share), what the handler adds on top of it (Lambda's part in AWS), and
 * what the local gateway adds on top of the handler (API Gateway's part in AWS): HTTP on both ends,
 * the JWT check and the event. The JWT check's own share, and the whole round trip of an open route
 * that touches no table (HTTP on both ends, the gateway, a handler with nothing to do), are given apart.
 */
export function cpuShareLines(
  get: LoadResult,
  handler: LoadResult,
  jwt: LoadResult,
  openRoute: LoadResult,
  query: LoadResult,
): string[] {
  const ms = (value: number) => `${value.toFixed(3)} ms`;
  const share = (value: number) => `${((value / get.cpuMsPerRequest) * 100).toFixed(0)}%`;
  const handlerOwn = handler.cpuMsPerRequest - query.cpuMsPerRequest;
  const gatewayOwn = get.cpuMsPerRequest - handler.cpuMsPerRequest;
  return [
    `CPU per GET ${ms(get.cpuMsPerRequest)}: the bare Query with its load ${ms(query.cpuMsPerRequest)} (${share(query.cpuMsPerRequest)}),` +
      ` the handler's own work ${ms(handlerOwn)} (${share(handlerOwn)}),` +
      ` the local gateway's ${ms(gatewayOwn)} (${share(gatewayOwn)}; its JWT check ${ms(jwt.cpuMsPerRequest)}, ${share(jwt.cpuMsPerRequest)});` +
      ` an open route's whole round trip ${ms(openRoute.cpuMsPerRequest)}`,
  ];
}

/** RSS and heap used at each reading. */
export function memoryLines(readings: readonly MemoryReading[]): string[] {
  return table([
    ['when', 'rss', 'heap used', 'heap total'],
    ...readings.map(({ label, usage }) => [label, mb(usage.rss), mb(usage.heapUsed), mb(usage.heapTotal)]),
  ]);
}

/** A loud block naming every scenario that had errors, with sample messages; empty when none did. */
export function errorBanner(results: readonly LoadResult[]): string[] {
  const failed = results.filter((r) => r.errors > 0);
  if (failed.length === 0) return [];
  const total = failed.reduce((sum, r) => sum + r.errors, 0);
  const rule = '!'.repeat(78);
  return [
    rule,
    `!!! ${total} REQUEST(S) FAILED: the numbers of these scenarios are NOT valid measurements`,
    ...failed.flatMap((r) => [
      `!!! ${r.name}: ${r.errors} error(s)`,
      ...r.errorSamples.map((m) => `!!!     e.g. ${m}`),
    ]),
    rule,
  ];
}

function callsText(calls: Readonly<Record<string, number>>): string {
  const entries = Object.entries(calls);
  return entries.length === 0 ? '-' : entries.map(([name, n]) => `${name} ${n.toFixed(2)}`).join(', ');
}

function ratio(a: number, b: number): string {
  return `${(a / b).toFixed(2)}x`;
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Rows as aligned columns: the first and last left-aligned, the others right-aligned. */
export function table(rows: readonly (readonly string[])[]): string[] {
  const widths = (rows[0] ?? []).map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  const line = (row: readonly string[]) =>
    row
      .map((cell, column) =>
        column === 0 || column === row.length - 1
          ? cell.padEnd(widths[column] ?? 0)
          : cell.padStart(widths[column] ?? 0),
      )
      .join('  ')
      .trimEnd();
  return [line(rows[0] ?? []), ...rows.slice(1).map(line)];
}
