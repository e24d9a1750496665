import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import {
  BUNDLE_FILE,
  esbuildBundling,
  FUNCTION_NODE_OPTIONS,
  FUNCTION_RUNTIME,
} from '../../lib/constructs/bundling.js';
import { HANDLERS, handlerEntryPath, type HandlerName } from '../../lib/service/handlers.js';
import { functionNode, type FunctionNode } from './function-node.js';
import { table } from './report.js';

const run = promisify(execFile);

/** The bare DynamoDB client and document client with one Query, bundled like a function. */
export const BASELINE_ENTRY = fileURLToPath(new URL('./cold-start-baseline.ts', import.meta.url));
export const BASELINE_NAME = 'baseline: DynamoDB client + one Query';
/** The ratio to the baseline every function must stay within. */
export const RATIO_TARGET = 1.5;

/** One bundle's measurement: medians over the runs, in milliseconds. */
export interface ColdStartRow {
  readonly name: string;
  readonly bundleBytes: number;
  /** Wall-clock time of the import. */
  readonly importMs: number;
  /** CPU time the process spent on the import (user and system, all threads). */
  readonly cpuMs: number;
  /** Median over the rounds of the import's wall-clock time over the baseline's, imported just before or after it. */
  readonly wallRatio: number;
  /** The same for CPU time. */
  readonly cpuRatio: number;
}

interface Sample {
  readonly wallMs: number;
  readonly cpuMs: number;
}

export interface ColdStartResult {
  readonly runs: number;
  /** The Node.js that imported the bundles. */
  readonly node: FunctionNode;
  readonly baseline: ColdStartRow;
  readonly functions: readonly ColdStartRow[];
}

interface Bundle {
  readonly name: string;
  readonly file: string;
  readonly bytes: number;
  /** The environment the function gets: Lambda's settings and the stack's. */
  readonly env: NodeJS.ProcessEnv;
}

/**
 * What the Lambda runtime and the stack set before the handler's module is loaded. Tracing is
 * on (as the stack deploys every function), so the Tracer and the X-Ray SDK do the work they do
 * in Lambda; every setting a function may read at start is given a plausible value.
 */
function functionEnv(name: string, dir: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    NODE_OPTIONS: FUNCTION_NODE_OPTIONS,
    AWS_EXECUTION_ENV: `AWS_Lambda_${FUNCTION_RUNTIME.name}`,
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
    AWS_REGION: 'eu-west-1',
    LAMBDA_TASK_ROOT: dir,
    AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:2000',
    POWERTOOLS_SERVICE_NAME: 'org-feature-flags',
    POWERTOOLS_LOG_LEVEL: 'INFO',
    TABLE_NAME: 'org-feature-flags-bench',
    JOB_STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:123456789012:stateMachine:bench',
    EXPORT_BUCKET: 'org-feature-flags-bench-exports',
    EVENT_BUS_NAME: 'org-events-bench',
    // The SDK warns on Node 20 only, which imports the bundles when Node.js 24 cannot be had.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

async function bundle(name: string, entry: string, root: string): Promise<Bundle> {
  const dir = path.join(root, name.replace(/[^a-z0-9-]+/gi, '_'));
  await build(esbuildBundling(entry, dir));
  const file = path.join(dir, BUNDLE_FILE);
  return { name, file, bytes: (await stat(file)).size, env: functionEnv(name, dir) };
}

/**
 * Imports the bundle in a fresh Node process and returns how long the import took: from just
 * before `import()` to the module and its whole graph evaluated (reading, compiling and running
 * every top-level statement, the handler's module-level setup included), as Lambda's init does
 * before the first event. Node's own start is the same for every bundle and is left out.
 */
async function importOnce(node: FunctionNode, target: Bundle): Promise<Sample> {
  const script = `
    const cpu = process.cpuUsage();
    const start = performance.now();
    const module = await import(${JSON.stringify(pathToFileURL(target.file).href)});
    const wall = performance.now() - start;
    const used = process.cpuUsage(cpu);
    if (typeof module.handler !== 'function') throw new Error('the bundle exports no handler');
    process.stdout.write('\\nimport-ms ' + wall + ' ' + (used.user + used.system) / 1000 + '\\n');`;
  const { stdout } = await run(node.execPath, ['--input-type=module', '-e', script], {
    env: target.env,
    maxBuffer: 16 * 1024 * 1024,
  });
  const line = stdout.split('\n').find((text) => text.startsWith('import-ms '));
  if (!line) throw new Error(`${target.name}: no import time in the output`);
  const [wallMs, cpuMs] = line.slice('import-ms '.length).split(' ').map(Number) as [number, number];
  return { wallMs, cpuMs };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/**
 * Bundles every declared function (or those named) and the baseline with the stack's bundling options, then
 * imports each function `runs` times, one fresh process at a time, with the Node.js the functions run
 * on in Lambda ({@link functionNode}), each time right beside an import of the baseline (before it in
 * one round, after it in the next), and takes each function's ratio to the baseline in its pair: a
 * burst of load on this shared machine then weighs on both sides of a ratio alike, where medians
 * taken apart let it fall on some functions and not on the baseline. The functions' order is reversed
 * every other round; one round is run first and not counted (the files' first read).
 */
export async function benchColdStart(
  runs: number,
  log: (line: string) => void,
  names: readonly HandlerName[] = Object.keys(HANDLERS) as HandlerName[],
): Promise<ColdStartResult> {
  const node = await functionNode(log);
  const root = await mkdtemp(path.join(os.tmpdir(), 'org-feature-flags-cold-start-'));
  try {
    log(`[cold-start] bundling ${names.length} functions and the baseline`);
    const [baseline, ...functions] = await Promise.all([
      bundle(BASELINE_NAME, BASELINE_ENTRY, root),
      ...names.map((name) => bundle(name, handlerEntryPath(name), root)),
    ]);
    const baselineSamples: Sample[] = [];
    const pairs = new Map<Bundle, { sample: Sample; baseline: Sample }[]>(functions.map((b) => [b, []]));
    for (let round = 0; round <= runs; round++) {
      log(`[cold-start] ${round === 0 ? 'warm-up round' : `round ${round}/${runs}`}`);
      for (const target of round % 2 === 0 ? functions : [...functions].reverse()) {
        const baselineFirst = round % 2 === 0;
        const before = await importOnce(node, baselineFirst ? baseline! : target);
        const after = await importOnce(node, baselineFirst ? target : baseline!);
        if (round === 0) continue;
        const [baselineSample, sample] = baselineFirst ? [before, after] : [after, before];
        baselineSamples.push(baselineSample);
        pairs.get(target)?.push({ sample, baseline: baselineSample });
      }
    }
    const baselineRow: ColdStartRow = {
      name: baseline!.name,
      bundleBytes: baseline!.bytes,
      importMs: median(baselineSamples.map((s) => s.wallMs)),
      cpuMs: median(baselineSamples.map((s) => s.cpuMs)),
      wallRatio: 1,
      cpuRatio: 1,
    };
    const rows = functions.map((b): ColdStartRow => {
      const taken = pairs.get(b) ?? [];
      return {
        name: b.name,
        bundleBytes: b.bytes,
        importMs: median(taken.map((p) => p.sample.wallMs)),
        cpuMs: median(taken.map((p) => p.sample.cpuMs)),
        wallRatio: median(taken.map((p) => p.sample.wallMs / p.baseline.wallMs)),
        cpuRatio: median(taken.map((p) => p.sample.cpuMs / p.baseline.cpuMs)),
      };
    });
    return { runs, node, baseline: baselineRow, functions: rows };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/**
 * The table: each function's bundle size, median import time (wall clock and CPU) and the median
 * of its paired ratios to the baseline's, then the verdict. The verdict goes by the CPU ratio: on a shared machine the
 * wall clock also counts the time the import waited for a core, which other work decides.
 */
export function coldStartLines(result: ColdStartResult): string[] {
  const { baseline } = result;
  const wallRatio = (row: ColdStartRow) => row.wallRatio;
  const cpuRatio = (row: ColdStartRow) => row.cpuRatio;
  const times = (value: number) => `${value.toFixed(2)}x`;
  const cells = (row: ColdStartRow) => [
    row.name,
    (row.bundleBytes / 1024).toFixed(0),
    row.importMs.toFixed(1),
    times(wallRatio(row)),
    row.cpuMs.toFixed(1),
    times(cpuRatio(row)),
  ];
  const over = result.functions.filter((row) => cpuRatio(row) > RATIO_TARGET);
  const worst = result.functions.reduce((a, b) => (cpuRatio(b) > cpuRatio(a) ? b : a));
  return [
    `imported with Node.js ${result.node.version}${result.node.fallbackReason ? ` (NOT the functions' Node.js: ${result.node.fallbackReason})` : ''}`,
    '',
    ...table([
      ['bundle', 'KB', 'import ms', 'ratio', 'CPU ms', 'CPU ratio'],
      cells(baseline),
      ...result.functions.map(cells),
    ]),
    '',
    over.length === 0
      ? `every function within ${RATIO_TARGET}x of the baseline's CPU time (highest: ${worst.name}, ${times(cpuRatio(worst))})`
      : `OVER ${RATIO_TARGET}x the baseline's CPU time: ${over.map((row) => `${row.name} ${times(cpuRatio(row))}`).join(', ')}`,
  ];
}
