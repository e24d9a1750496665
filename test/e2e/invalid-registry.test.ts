import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { FLAGS } from '../../registry/flags.js';
import { copyProject, startLocalStackProcess } from '../support/local-stack-process.js';

// The functions take the registry as written, so the local stack must refuse to start with an
// invalid one, as it did when each function checked it: done to a copy of the project.
let root: string | undefined;

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('npm start with an invalid registry', () => {
  it("does not start, and says why in the registry's own words", async () => {
    root = await copyProject();
    const flagsFile = path.join(root, 'registry', 'flags.ts');
    const duplicate = FLAGS[0]!;
    const source = await readFile(flagsFile, 'utf8');
    await writeFile(flagsFile, source.replace(/\n\];\s*$/, `\n  ${JSON.stringify(duplicate)},\n];\n`));
    const outcome = await startLocalStackProcess({ root }).then(
      async (stack) => {
        await stack.stop();
        return 'it started';
      },
      (error: unknown) => String(error),
    );
    expect(outcome).toContain(
      `Could not start the local stack: Invalid feature flag registry:\n- flag '${duplicate.key}': duplicate key`,
    );
  }, 90_000);
});
