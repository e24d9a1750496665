import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { PROJECT_ROOT } from '../../lib/project.js';

const run = promisify(execFile);
const DIST = path.join(PROJECT_ROOT, 'provider', 'dist');

/*
 * The provider package as a service installs it: built with `npm run build -w provider`, imported
 * by its name and subpaths (the workspace links it into node_modules), ESM with types.
 */

beforeAll(async () => {
  await run('npm', ['run', '-s', 'build', '-w', 'provider'], { cwd: PROJECT_ROOT });
}, 120_000);

async function exportsOf(specifier: string): Promise<string[]> {
  const script = `const m = await import(${JSON.stringify(specifier)}); console.log(JSON.stringify(Object.keys(m).sort()));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { cwd: PROJECT_ROOT });
  return JSON.parse(stdout) as string[];
}

/** Every module the built file imports, following relative imports: the package's static import graph from `entry`. */
async function importGraph(entry: string, seen = new Set<string>()): Promise<Set<string>> {
  const source = await readFile(entry, 'utf8');
  for (const [, specifier] of source.matchAll(/^(?:import|export)\s[^;]*?from\s+'([^']+)'/gm)) {
    if (!specifier) continue;
    if (specifier.startsWith('.')) {
      const file = path.resolve(path.dirname(entry), specifier);
      if (!seen.has(file)) {
        seen.add(file);
        await importGraph(file, seen);
      }
    } else seen.add(specifier);
  }
  return seen;
}

describe('the built provider package', () => {
  it('exports the provider, typed keys and invalidation from its main entry, and the rest from its subpaths', async () => {
    expect(await exportsOf('@org-feature-flags/openfeature-provider')).toEqual(
      expect.arrayContaining([
        'OrgFeatureFlagsProvider',
        'flagsFor',
        'FLAG_KEYS',
        'FLAG_DEFAULTS',
        'orgIdOfChange',
        'followLocalEvents',
      ]),
    );
    expect(await exportsOf('@org-feature-flags/openfeature-provider/testing')).toEqual(
      expect.arrayContaining(['InMemoryFlagsProvider', 'withFlag', 'withFlagDisabled', 'useInMemoryFlags']),
    );
    expect(await exportsOf('@org-feature-flags/openfeature-provider/sqs')).toEqual(
      expect.arrayContaining(['invalidateFromSqsEvent', 'pollQueue']),
    );
    expect(await exportsOf('@org-feature-flags/openfeature-provider/cdk')).toEqual(
      expect.arrayContaining(['FeatureFlagChangesQueue']),
    );
  }, 60_000);

  it('ships type declarations for each entry', async () => {
    const manifest = JSON.parse(await readFile(path.join(PROJECT_ROOT, 'provider', 'package.json'), 'utf8')) as {
      exports: Record<string, { types: string }>;
    };
    for (const [entry, { types }] of Object.entries(manifest.exports)) {
      expect({
        entry,
        declarations: (await readFile(path.join(PROJECT_ROOT, 'provider', types), 'utf8')).length > 0,
      }).toEqual({ entry, declarations: true });
    }
  });

  it('loads no AWS SDK and no CDK from its main entry', async () => {
    const packages = [...(await importGraph(path.join(DIST, 'index.js')))].filter((name) => !name.startsWith('/'));
    expect(
      packages.filter(
        (name) => name.startsWith('@aws-sdk/') || name.startsWith('aws-cdk-lib') || name === 'constructs',
      ),
    ).toEqual([]);
    expect(packages).toContain('@openfeature/server-sdk');
  });

  it('declares every package its built files import, so that installing it brings them', async () => {
    const manifest = JSON.parse(await readFile(path.join(PROJECT_ROOT, 'provider', 'package.json'), 'utf8')) as {
      exports: Record<string, { import: string }>;
      dependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
    };
    const imported = new Set<string>();
    for (const { import: file } of Object.values(manifest.exports)) {
      for (const specifier of await importGraph(path.join(PROJECT_ROOT, 'provider', file))) {
        if (specifier.startsWith('/') || specifier.startsWith('node:')) continue;
        const parts = specifier.split('/');
        imported.add(specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!);
      }
    }
    const declared = new Set([
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}),
    ]);
    expect([...imported].filter((name) => !declared.has(name))).toEqual([]);
  });

  it('fetches many orgs at once without a warning about listeners on its abort signal', async () => {
    const script = `
      import { OrgFeatureFlagsProvider } from '@org-feature-flags/openfeature-provider';
      const answer = (org) => new Response(JSON.stringify({ flags: [{ key: 'chat', value: true, reason: 'TARGETING_MATCH', variant: 'on', metadata: {} }] }), { headers: { 'content-type': 'application/json', etag: '"' + org + '"' } });
      const provider = new OrgFeatureFlagsProvider({ baseUrl: 'http://flags.invalid', token: 't', fetch: async (_url, init) => answer(JSON.parse(init.body).context.targetingKey) });
      const results = await Promise.all(Array.from({ length: 100 }, (_, i) => provider.resolveBooleanEvaluation('chat', false, { targetingKey: 'org-' + i })));
      console.log(results.filter((r) => r.value === true).length, provider.stats().requests);`;
    const { stdout, stderr } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: PROJECT_ROOT,
    });
    expect(stdout.trim()).toBe('100 100');
    expect(stderr).toBe('');
  }, 60_000);
});
