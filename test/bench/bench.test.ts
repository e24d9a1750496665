import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, test } from '@jest/globals';
import { PROJECT_ROOT } from '../../lib/project.js';

const run = promisify(execFile);

/** A quick bench: the HTTP scenarios for a second each, and a sync over 20 orgs. */
const QUICK = ['--only', 'http,sync', '--duration', '1', '--warmup', '0', '--connections', '2', '--sync-orgs', '20'];

/** The bench as `npm run bench` starts it, with the environment a developer's shell would have. */
async function runBench(extra: readonly string[]): Promise<{ stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Set by the test run, not by a developer's shell (test/support/global-setup.ts).
  for (const name of [
    'POWERTOOLS_LOG_LEVEL',
    'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED',
    'TABLE_NAME',
    'DYNAMODB_ENDPOINT',
  ])
    delete env[name];
  return run(process.execPath, ['--import', 'tsx', 'test/bench/bench.ts', ...QUICK, ...extra], {
    cwd: PROJECT_ROOT,
    env,
    maxBuffer: 64 * 1024 * 1024,
    timeout: 90_000,
  });
}

describe('npm run bench', () => {
  test("prints its report and progress, and none of the handlers' logs, the local stack's request lines or warnings", async () => {
    const profiles = await mkdtemp(path.join(tmpdir(), 'bench-profiles-'));
    let written: string[] = [];
    const { stdout, stderr } = await runBench(['--profile', profiles]).finally(async () => {
      written = await readdir(profiles);
      await rm(profiles, { recursive: true, force: true });
    });

    expect(written.sort()).toEqual(
      ['GET', 'handler-alone', 'JWT-check-alone', 'GET-health', 'bare-Query']
        .map((name) => `${name}.cpuprofile`)
        .sort(),
    );
    expect(stdout).toContain('\nResults (latency');
    expect(stdout).toMatch(/GET \/org-feature-flags\/\{org_id\}\s+\d/);
    expect(stdout).toMatch(/its handler alone, in process\s+\d/);
    expect(stdout).toMatch(/its JWT check alone, in process\s+\d/);
    expect(stdout).toMatch(/an open route, GET \/health\s+\d/);
    expect(stdout).toMatch(
      /CPU per GET [\d.]+ ms: the bare Query with its load [\d.]+ ms \(\d+%\), the handler's own work -?[\d.]+ ms \(-?\d+%\), the local gateway's -?[\d.]+ ms \(-?\d+%; its JWT check [\d.]+ ms, \d+%\); an open route's whole round trip [\d.]+ ms/,
    );
    expect(stdout).toMatch(
      /\nProfile: CPU per request by part .*\n\s+ms per request\s+GET\s+handler-alone\s+JWT-check-alone\s+GET-health\s+bare-Query\n/,
    );
    expect(stdout).toMatch(/\n\s+JWT check \(jose\)\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+[\d.]+\n/);
    expect(stdout).toContain('\nSync (local stack');
    expect(stdout).toMatch(/rollout preview \(every org, 2 steps\)\s+20 orgs\s+\d+ orgs\/s/);
    expect(stdout).toMatch(/rollout preview \(every org, 2 steps\) vs baseline: orgs\/s [\d.]+x/);
    expect(stderr).toContain('measure 1 s: GET /org-feature-flags/{org_id}');
    const lines = `${stdout}\n${stderr}`.split('\n');
    expect(lines.filter((line) => /^\s*\{.*"level"\s*:/.test(line))).toEqual([]);
    expect(lines.filter((line) => line.startsWith('[api]'))).toEqual([]);
    expect(lines.filter((line) => /^\(node:\d+\)|@smithy\/|NodeVersionSupportWarning/.test(line))).toEqual([]);
  }, 120_000);
});
