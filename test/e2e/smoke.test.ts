import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadRegistry } from '../../registry/index.js';
import { CHECK_NAMES, DEFAULT_ORG_ID, runSmoke } from '../../lib/smoke/run.js';
import { freePort, startLocalStackProcess, tokenFor, type LocalStackProcess } from '../support/local-stack-process.js';
import { PROJECT_ROOT } from '../../lib/project.js';

const registry = loadRegistry();
const SUMMARY = /^smoke: (\d+) passed, (\d+) failed$/;
const STACK_TRACE = /\n\s+at .+:\d+:\d+|\.ts:\d+:\d+/;

let stack: LocalStackProcess;
let admin: string;
let service: string;

interface OrgFlag {
  key: string;
  user_enabled: boolean;
  internal_only: boolean;
  version: number;
  source: string;
}

/** The environment a user's shell would have: no SMOKE_TOKEN unless a test sets one. */
function shellEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  if (!('SMOKE_TOKEN' in extra)) delete env.SMOKE_TOKEN;
  return env;
}

/** Runs the command as the README shows it, `npm run -s smoke -- ...`, from the project root. */
function smoke(
  args: string[],
  env: NodeJS.ProcessEnv = shellEnv(),
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'npm',
      ['run', '-s', 'smoke', '--', ...args],
      { cwd: PROJECT_ROOT, env, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

async function orgFlags(orgId: string): Promise<OrgFlag[]> {
  const response = await fetch(`${stack.url}/org-feature-flags/${orgId}`, {
    headers: { authorization: `Bearer ${admin}` },
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { flags: OrgFlag[] }).flags;
}

const values = (flags: OrgFlag[]) => Object.fromEntries(flags.map((flag) => [flag.key, flag.user_enabled]));
const registryDefaults = () => Object.fromEntries(registry.flags.map((flag) => [flag.key, flag.default_enabled]));

beforeAll(async () => {
  stack = await startLocalStackProcess();
  [admin, service] = await Promise.all([tokenFor(stack, '--role', 'admin'), tokenFor(stack, '--role', 'service')]);
}, 90_000);

afterAll(async () => {
  await stack?.stop();
});

describe('npm run smoke', () => {
  it('passes every check run in-process against the local stack, provisioning its org', async () => {
    const unknown = await fetch(`${stack.url}/org-feature-flags/${DEFAULT_ORG_ID}`, {
      headers: { authorization: `Bearer ${admin}` },
    });
    expect(unknown.status).toBe(404);
    const lines: string[] = [];
    const report = await runSmoke({
      url: stack.url,
      token: admin,
      orgId: DEFAULT_ORG_ID,
      timeoutMs: 10_000,
      log: (line) => lines.push(line),
    });

    expect(report.results.filter((result) => !result.ok)).toEqual([]);
    expect(report.results.map((result) => result.name)).toEqual([...CHECK_NAMES]);
    expect(report).toMatchObject({ ok: true, passed: CHECK_NAMES.length, failed: 0 });
    const checkLines = lines.slice(1, -1);
    expect(checkLines).toHaveLength(CHECK_NAMES.length);
    for (const [index, line] of checkLines.entries())
      expect(line).toMatch(new RegExp(`^ok {3}${CHECK_NAMES[index]} \\(\\d+ ms\\)$`));
    expect(lines.at(-1)).toBe(`smoke: ${CHECK_NAMES.length} passed, 0 failed`);

    // The org it provisioned ends as provisioning left it: every flag at its registry default.
    expect(values(await orgFlags(DEFAULT_ORG_ID))).toEqual(registryDefaults());
  });

  it('exits 0 run as a user runs it, and leaves its org at the values it found (reused, not re-created)', async () => {
    const before = await orgFlags(DEFAULT_ORG_ID);

    const run = await smoke(['--url', `${stack.url}/`, '--token', admin]);

    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: expect.not.stringMatching(STACK_TRACE) });
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines.at(-1)).toBe(`smoke: ${CHECK_NAMES.length} passed, 0 failed`);
    expect(lines.filter((line) => /^ok {3}\S+ \(\d+ ms\)$/.test(line))).toHaveLength(CHECK_NAMES.length);
    expect(run.stdout).not.toContain(admin);

    const after = await orgFlags(DEFAULT_ORG_ID);
    expect(values(after)).toEqual(values(before));
    expect(values(after)).toEqual(registryDefaults());
    // Exactly one non-internal flag was written (flipped and flipped back), and nothing else.
    const moved = after.filter((flag, index) => flag.version !== before[index]?.version);
    expect(moved).toHaveLength(1);
    expect(moved[0]).toMatchObject({ internal_only: false, source: 'admin' });
  }, 60_000);

  it('reads the token from SMOKE_TOKEN and provisions the org given with --org', async () => {
    const orgId = `smoke-${randomUUID().slice(0, 8)}`;
    const run = await smoke(['--url', stack.url, '--org', orgId], shellEnv({ SMOKE_TOKEN: admin }));

    expect(run.code).toBe(0);
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe(`smoke: ${CHECK_NAMES.length} passed, 0 failed`);
    expect(values(await orgFlags(orgId))).toEqual(registryDefaults());
  }, 60_000);

  it('fails with exit 1 for a service token: provision is refused with 403 and nothing is written', async () => {
    const before = await orgFlags(DEFAULT_ORG_ID);

    const run = await smoke(['--url', stack.url, '--token', service]);

    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^FAIL provision: expected 201 or 200, got 403\b/m);
    expect(run.stdout).toMatch(/^FAIL toggle-flip: expected 200, got 403\b/m);
    expect(run.stdout).toMatch(/^ok {3}health \(\d+ ms\)$/m);
    const [, passed, failed] = run.stdout.trimEnd().split('\n').at(-1)!.match(SUMMARY) ?? [];
    expect(Number(passed) + Number(failed)).toBe(CHECK_NAMES.length);
    expect(Number(failed)).toBeGreaterThan(0);
    expect(run.stderr).not.toMatch(STACK_TRACE);
    expect(await orgFlags(DEFAULT_ORG_ID)).toEqual(before);
  }, 60_000);

  it('reports an unreachable API as failed checks, exit 1, with no stack trace', async () => {
    const run = await smoke(['--url', `http://127.0.0.1:${await freePort()}`, '--token', admin, '--timeout', '2000']);

    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^FAIL health: GET \/health failed: .*ECONNREFUSED/m);
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe(`smoke: 0 passed, ${CHECK_NAMES.length} failed`);
    expect(`${run.stdout}${run.stderr}`).not.toMatch(STACK_TRACE);
  }, 60_000);

  it('reports a request that gets no answer within --timeout as a failed check', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    try {
      const started = Date.now();
      const report = await runSmoke({
        url: `http://127.0.0.1:${port}`,
        token: admin,
        orgId: DEFAULT_ORG_ID,
        timeoutMs: 200,
        log: () => {},
      });
      expect(report).toMatchObject({ ok: false, passed: 0, failed: CHECK_NAMES.length });
      expect(report.results.find((result) => result.name === 'health')?.reason).toBe(
        'GET /health timed out after 200 ms',
      );
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('prints usage on stderr and exits 2 for bad arguments', async () => {
    const url = stack.url;
    const cases: Array<[string, string[], RegExp]> = [
      ['no arguments', [], /--url is required/],
      ['no token and no SMOKE_TOKEN', ['--url', url], /--token or SMOKE_TOKEN is required/],
      ['not a URL', ['--url', 'localhost 3000', '--token', 't'], /--url must be an http/],
      ['not http', ['--url', 'ftp://example.com', '--token', 't'], /--url must be an http/],
      ['bad timeout', ['--url', url, '--token', 't', '--timeout', 'soon'], /--timeout/],
      ['zero timeout', ['--url', url, '--token', 't', '--timeout', '0'], /--timeout/],
      ['bad org id', ['--url', url, '--token', 't', '--org', 'a b'], /--org/],
      ['unknown option', ['--url', url, '--token', 't', '--verbose'], /--verbose/],
      ['positional argument', ['--url', url, '--token', 't', 'extra'], /extra/],
    ];
    const runs = await Promise.all(cases.map(([, args]) => smoke(args)));
    for (const [index, [name, , message]] of cases.entries()) {
      const run = runs[index]!;
      expect({ name, code: run.code, stdout: run.stdout }).toEqual({ name, code: 2, stdout: '' });
      expect(run.stderr).toMatch(message);
      expect(run.stderr).toContain('Usage: npm run -s smoke -- --url URL');
      expect(run.stderr).not.toMatch(STACK_TRACE);
    }
  }, 60_000);

  it('prints its help on stdout and exits 0 for --help', async () => {
    const run = await smoke(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: npm run -s smoke -- --url URL/);
    expect(run.stdout).toContain(`default: ${DEFAULT_ORG_ID}`);
    expect(run.stdout).toContain('SMOKE_TOKEN');
  }, 60_000);
});
