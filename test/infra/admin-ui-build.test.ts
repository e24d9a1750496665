import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { LOCAL_SIGN_IN_PATH } from '../../lib/local/admin-ui.js';
import { buildUi, UI_BUDGET_GZIP_BYTES, type UiBuildResult } from '../../ui/build.js';
import { STAGE_NAMES, removeSynthOutput, synthStage } from '../support/cdk.js';

/*
 * The local sign-in exists only in the local stack: the AWS build of the admin UI and the
 * synthesized stacks (templates and every bundled asset) hold nothing of it.
 */

/** Strings only the local sign-in path has: its route, the fragment it answers with, where the app keeps its token. */
const LOCAL_MARKERS = [LOCAL_SIGN_IN_PATH, 'local-sign-in', 'signed-in=', 'org-feature-flags.local-token'];
/** The markers the local build of the app itself carries (the route is in its settings, not its code). */
const LOCAL_BUNDLE_MARKERS = ['signed-in=', 'org-feature-flags.local-token'];

const dirs: string[] = [];

afterAll(async () => {
  removeSynthOutput();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function build(mode: 'aws' | 'local'): Promise<{ result: UiBuildResult; text: string }> {
  const outDir = await mkdtemp(path.join(tmpdir(), `off-ui-${mode}-`));
  dirs.push(outDir);
  const result = await buildUi({ mode, outDir });
  const text = (await Promise.all(result.files.map((file) => readFile(path.join(outDir, file.path), 'utf8')))).join(
    '\n',
  );
  return { result, text };
}

/** Every file under `dir`, recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
}

describe('the admin UI build', () => {
  it('writes hashed JS and CSS named by index.html, within the 80 KB gzipped budget', async () => {
    const { result, text } = await build('aws');
    const js = result.files.filter((file) => file.kind === 'js');
    const css = result.files.filter((file) => file.kind === 'css');
    expect(js).toHaveLength(1);
    expect(css).toHaveLength(1);
    for (const file of [...js, ...css]) {
      expect(file.path).toMatch(/^assets\/main-[A-Z0-9]{8}\.(js|css)$/);
      expect(text).toContain(`"${file.path}"`);
    }
    expect(result.jsCssGzipBytes).toBe(js[0]!.gzipBytes + css[0]!.gzipBytes);
    expect(result.jsCssGzipBytes).toBeLessThanOrEqual(UI_BUDGET_GZIP_BYTES);
    expect(result.withinBudget).toBe(true);
  }, 60_000);

  it('keeps the local sign-in in the local build and leaves every trace of it out of the AWS build', async () => {
    const local = await build('local');
    for (const marker of LOCAL_BUNDLE_MARKERS) expect(local.text).toContain(marker);
    const aws = await build('aws');
    for (const marker of LOCAL_MARKERS) expect(aws.text).not.toContain(marker);
    expect(aws.result.jsCssGzipBytes).toBeLessThan(local.result.jsCssGzipBytes);
  }, 60_000);
});

describe.each(STAGE_NAMES)('the synthesized %s stage', (stage) => {
  it('mentions nothing of the local sign-in, in its templates or in any bundled asset', async () => {
    const { assembly } = synthStage(stage);
    const files = await filesUnder(assembly.directory);
    expect(files.some((file) => file.endsWith('.template.json'))).toBe(true);
    const found: string[] = [];
    for (const file of files) {
      const text = await readFile(file, 'utf8');
      for (const marker of LOCAL_MARKERS)
        if (text.includes(marker)) found.push(`${path.relative(assembly.directory, file)}: ${marker}`);
    }
    expect(found).toEqual([]);
  }, 180_000);
});
