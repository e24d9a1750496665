import { execFile } from 'node:child_process';
import { access, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { FUNCTION_RUNTIME } from '../../lib/constructs/bundling.js';
import { PROJECT_ROOT } from '../../lib/project.js';

const run = promisify(execFile);

/**
 * The Node.js release the cold-start bench imports the bundles with: one of the major version the
 * functions run on in Lambda ({@link FUNCTION_RUNTIME}), pinned so that runs compare. A test
 * fails when the runtime moves to another major and this does not follow.
 */
export const FUNCTION_NODE_VERSION = '24.22.3';

/** The major Node.js version of {@link FUNCTION_RUNTIME} (`nodejs24.x` → 24). */
export function runtimeMajor(runtimeName: string = FUNCTION_RUNTIME.name): number {
  const match = /^nodejs(\d+)\.x$/.exec(runtimeName);
  if (!match) throw new Error(`${runtimeName} is not a Node.js runtime`);
  return Number(match[1]);
}

/** The Node.js the bench imports the bundles with, and why it is that one. */
export interface FunctionNode {
  readonly execPath: string;
  /** `process.version` of that binary. */
  readonly version: string;
  /** Set when this is not the functions' Node.js: what prevented getting it. */
  readonly fallbackReason?: string;
}

/** Where the release's binary is unpacked; `npm ci` clears it, and the tarball then comes from npm's cache. */
const CACHE_DIR = path.join(PROJECT_ROOT, 'node_modules', '.cache', 'function-node');

/** npm publishes each Node.js release's binaries as `node-<platform>-<arch>` (the `node` package's own source). */
function binaryPackage(): string {
  const platform = process.platform === 'win32' ? 'win' : process.platform;
  return `node-${platform}-${process.arch}@${FUNCTION_NODE_VERSION}`;
}

async function versionOf(execPath: string): Promise<string> {
  const { stdout } = await run(execPath, ['--version']);
  return stdout.trim();
}

/**
 * The binary of {@link FUNCTION_NODE_VERSION}: this process's own when it is that major already,
 * else the release from npm (one download of about 50 MB into npm's cache, then only the `node`
 * binary is unpacked into `node_modules/.cache/function-node`). When it cannot be had (no
 * registry, a platform npm has no binary for), this process's Node.js, with the reason, which the
 * bench prints above its table.
 */
export async function functionNode(log: (line: string) => void): Promise<FunctionNode> {
  const major = runtimeMajor();
  if (Number(process.versions.node.split('.')[0]) === major)
    return { execPath: process.execPath, version: process.version };
  const dir = path.join(CACHE_DIR, FUNCTION_NODE_VERSION);
  const execPath = path.join(dir, 'bin', 'node');
  try {
    await access(execPath);
  } catch {
    try {
      log(`[cold-start] fetching Node.js ${FUNCTION_NODE_VERSION} (the functions run on Node.js ${major}) from npm`);
      await mkdir(CACHE_DIR, { recursive: true });
      const staging = await mkdtemp(path.join(CACHE_DIR, 'download-'));
      try {
        const { stdout } = await run('npm', ['pack', binaryPackage(), '--pack-destination', staging, '--silent'], {
          maxBuffer: 1024 * 1024,
        });
        const tarball = path.join(staging, stdout.trim().split('\n').at(-1) ?? '');
        await run('tar', ['-xzf', tarball, '-C', staging, 'package/bin/node']);
        await rm(dir, { recursive: true, force: true });
        await rename(path.join(staging, 'package'), dir);
      } finally {
        await rm(staging, { recursive: true, force: true });
      }
    } catch (error) {
      const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
      return {
        execPath: process.execPath,
        version: process.version,
        fallbackReason: `could not get Node.js ${FUNCTION_NODE_VERSION}: ${reason}`,
      };
    }
  }
  const version = await versionOf(execPath);
  if (version !== `v${FUNCTION_NODE_VERSION}`) {
    return {
      execPath: process.execPath,
      version: process.version,
      fallbackReason: `${execPath} is ${version}, not v${FUNCTION_NODE_VERSION}`,
    };
  }
  return { execPath, version };
}
