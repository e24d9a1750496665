import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { table } from './report.js';

/** The parts of a request a CPU profile tells apart, by where each sampled function's code lives. */
export const PROFILE_PARTS = [
  'AWS SDK (@aws-sdk, @smithy)',
  'JWT check (jose)',
  'local gateway (lib/local)',
  'handler code (lambdas, registry, middy, Powertools, X-Ray, zod)',
  'Node.js HTTP, sockets and streams',
  'other Node.js internals',
  'garbage collection',
  'V8 and native code (promises, async hooks, writes)',
  'load generator and other packages',
] as const;
export type ProfilePart = (typeof PROFILE_PARTS)[number];

/** The parts of V8's `.cpuprofile` format that are read here. */
export interface CpuProfile {
  readonly nodes: readonly { readonly id: number; readonly callFrame: { functionName: string; url: string } }[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const HANDLER_CODE = [
  '/lambdas/',
  '/registry/',
  '/@middy/',
  '/@aws-lambda-powertools/',
  '/aws-xray-sdk',
  '/cls-hooked/',
  '/zod/',
];
const NODE_IO = [
  'node:_http',
  'node:internal/http',
  'node:net',
  'node:internal/stream',
  'node:stream',
  'node:internal/streams',
];

/** The part a sampled function belongs to; undefined for the profiler's `(idle)`. */
export function partOf(functionName: string, url: string): ProfilePart | undefined {
  if (url === '') {
    if (functionName === '(idle)') return undefined;
    if (functionName === '(garbage collector)') return 'garbage collection';
    return 'V8 and native code (promises, async hooks, writes)';
  }
  if (url.includes('/@aws-sdk/') || url.includes('/@smithy/')) return 'AWS SDK (@aws-sdk, @smithy)';
  if (url.includes('/jose/')) return 'JWT check (jose)';
  if (url.includes('/node_modules/')) {
    return HANDLER_CODE.some((part) => url.includes(part))
      ? 'handler code (lambdas, registry, middy, Powertools, X-Ray, zod)'
      : 'load generator and other packages';
  }
  if (url.includes('/lib/local/')) return 'local gateway (lib/local)';
  if (HANDLER_CODE.some((part) => url.includes(part)))
    return 'handler code (lambdas, registry, middy, Powertools, X-Ray, zod)';
  if (NODE_IO.some((prefix) => url.startsWith(prefix))) return 'Node.js HTTP, sockets and streams';
  if (url.startsWith('node:')) return 'other Node.js internals';
  return 'load generator and other packages';
}

/** The profile's sampled CPU time (its own time of each function, idle left out) per request, by part. */
export function msPerRequestByPart(profile: CpuProfile, requests: number): Record<ProfilePart, number> {
  const parts = new Map(
    profile.nodes.map((node) => [node.id, partOf(node.callFrame.functionName, node.callFrame.url)]),
  );
  const micros = Object.fromEntries(PROFILE_PARTS.map((part) => [part, 0])) as Record<ProfilePart, number>;
  profile.samples.forEach((id, index) => {
    const part = parts.get(id);
    if (part !== undefined) micros[part] += profile.timeDeltas[index] ?? 0;
  });
  return Object.fromEntries(PROFILE_PARTS.map((part) => [part, micros[part] / 1000 / requests])) as Record<
    ProfilePart,
    number
  >;
}

/** Sampling interval of {@link profiled}: fine enough for requests of about a millisecond. */
const SAMPLING_INTERVAL_US = 200;

/** Runs `work` under V8's sampling profiler of this process and writes the profile to `file` (open it in Chrome DevTools). */
export async function profiled<T>(file: string, work: () => Promise<T>): Promise<{ result: T; profile: CpuProfile }> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL_US });
    await session.post('Profiler.start');
    const result = await work();
    const { profile } = await session.post('Profiler.stop');
    await writeFile(file, JSON.stringify(profile));
    return { result, profile: profile as CpuProfile };
  } finally {
    session.disconnect();
  }
}

/** Each scenario's profiled CPU per request, one column per scenario, one row per part and a total. */
export function profileTable(
  columns: readonly { readonly name: string; readonly byPart: Record<ProfilePart, number> }[],
): string[] {
  const ms = (value: number) => value.toFixed(3);
  return table([
    ['ms per request', ...columns.map(({ name }) => name.trim()), ''],
    ...PROFILE_PARTS.map((part) => [part, ...columns.map(({ byPart }) => ms(byPart[part])), '']),
    ['total', ...columns.map(({ byPart }) => ms(Object.values(byPart).reduce((sum, value) => sum + value, 0))), ''],
  ]);
}
