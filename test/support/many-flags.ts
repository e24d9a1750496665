import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { registry } from './flags.js';
import { copyProject } from './local-stack-process.js';

/** The registry size the admin UI must handle: the org screen of an org with this many flags. */
export const MANY_FLAGS = 200;

/**
 * A copy of the project whose registry holds `count` flags: the project's own, then generated ones
 * (every tenth internal, alternately on and off by default), as a developer would add them to
 * `registry/flags.ts`.
 */
export async function copyProjectWithFlags(count = MANY_FLAGS): Promise<string> {
  const root = await copyProject();
  const flagsFile = path.join(root, 'registry', 'flags.ts');
  const added = Array.from({ length: count - registry.flags.length }, (_, i) => ({
    key: `load-flag-${String(i + 1).padStart(3, '0')}`,
    description: `Flag number ${i + 1} of a registry as large as the org screen must handle.`,
    default_enabled: i % 2 === 0,
    internal_only: i % 10 === 0,
    owner: 'team-load',
    created: '2026-11-01',
    cleanup_after: '2099-12-31',
  }));
  const source = await readFile(flagsFile, 'utf8');
  await writeFile(
    flagsFile,
    source.replace(/\n\];\s*$/, `\n${added.map((flag) => `  ${JSON.stringify(flag)},`).join('\n')}\n];\n`),
  );
  return root;
}

/** Provisions `orgId` through the API, retrying the 503 a freshly started DynamoDB Local may answer to many writes at once. */
export async function provisionWithRetry(url: string, token: string, orgId: string): Promise<number> {
  let status = 0;
  for (let attempt = 0; attempt < 5 && status !== 201; attempt++) {
    const answer = await fetch(`${url}/orgs/${orgId}/provision`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    status = answer.status;
    if (status === 503)
      await new Promise((resolve) => setTimeout(resolve, Number(answer.headers.get('retry-after') ?? 2) * 1000));
  }
  return status;
}
