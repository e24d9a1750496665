import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ESLint } from 'eslint';
import * as prettier from 'prettier';
import { PROJECT_ROOT } from '../../../lib/project.js';

/*
 * `npm run lint` is what keeps the layers of DESIGN §13 and the one formatting. These tests run the
 * project's own eslint configuration and Prettier on files written here (never on disk), so that a
 * rule that stops working fails a test instead of passing everything.
 */

const eslint = new ESLint({ cwd: PROJECT_ROOT });

/** The layer errors eslint reports for `code` as if it were the file at `file` (relative to the root). */
async function layerErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(PROJECT_ROOT, file) });
  return (result?.messages ?? [])
    .filter((message) => message.ruleId === 'boundaries/dependencies' && message.severity === 2)
    .map((message) => message.message);
}

describe('npm run lint', () => {
  it('runs eslint and the formatting check over the whole tree', async () => {
    const { scripts } = JSON.parse(await readFile(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(scripts.lint?.split(' && ')).toEqual(['eslint .', 'prettier --check .']);
  });

  it.each([
    [
      'lambdas/ imports lib/',
      'lambdas/handlers/layer-check.ts',
      "import { PROJECT_ROOT } from '../../lib/project.js';",
    ],
    [
      'lambdas/ imports the declarations of lib/service/, even for a type',
      'lambdas/http/layer-check.ts',
      "import type { HandlerName } from '../../lib/service/handlers.js';",
    ],
    [
      'registry/ imports lambdas/',
      'registry/layer-check.ts',
      "import { appRegistry } from '../lambdas/shared/registry.js';",
    ],
    ['registry/ imports lib/', 'registry/layer-check.ts', "import { PROJECT_ROOT } from '../lib/project.js';"],
    [
      'lib/service/ imports the local stack',
      'lib/service/layer-check.ts',
      "import { freePort } from '../local/ports.js';",
    ],
    [
      'the CDK stacks import the local stack, even for a type',
      'lib/stateless/layer-check.ts',
      "import type { LocalStack } from '../local/stack.js';",
    ],
    [
      'the admin UI takes domain logic as a value (not one of the two it may: caller.ts, limits.ts)',
      'ui/src/layer-check.ts',
      "import { jobView } from '../../lambdas/domain/jobs.js';",
    ],
    [
      'the admin UI imports lambdas/ beyond the domain, even for a type',
      'ui/src/layer-check.ts',
      "import type { Config } from '../../lambdas/shared/config.js';",
    ],
    [
      'the provider package imports the registry',
      'provider/src/layer-check.ts',
      "import type { Registry } from '../../registry/index.js';",
    ],
    [
      'the domain imports the rest of lambdas/',
      'lambdas/domain/layer-check.ts',
      "import { logger } from '../shared/powertools.js';",
    ],
    [
      'a use case imports an adapter',
      'lambdas/use-cases/layer-check.ts',
      "import { documentClient } from '../adapters/dynamodb-client.js';",
    ],
    ['lib/ imports an entry point of bin/', 'lib/layer-check.ts', "import '../bin/token.js';"],
  ])('fails when %s', async (_case, file, code) => {
    expect(await layerErrors(file, `${code}\n`)).toEqual([expect.stringContaining('no policy allowing')]);
  });

  it.each([
    [
      'lambdas/ imports the registry',
      'lambdas/handlers/layer-check.ts',
      "import { loadRegistry } from '../../registry/index.js';",
    ],
    [
      'a handler imports a use case',
      'lambdas/handlers/layer-check.ts',
      "import { getJob } from '../use-cases/jobs.js';",
    ],
    [
      'the local stack imports the declarations',
      'lib/local/layer-check.ts',
      "import { HANDLERS } from '../service/handlers.js';",
    ],
    ['a CLI imports the local stack', 'lib/flags-cli/layer-check.ts', "import { freePort } from '../local/ports.js';"],
    [
      'the admin UI takes a type from the domain',
      'ui/src/layer-check.ts',
      "import type { JobView } from '../../lambdas/domain/jobs.js';",
    ],
    [
      'the admin UI takes the API limits',
      'ui/src/layer-check.ts',
      "import { MAX_BULK_ORGS } from '../../lambdas/domain/limits.js';",
    ],
    ['a test imports the local stack', 'test/layer-check.ts', "import { freePort } from '../lib/local/ports.js';"],
  ])('passes when %s', async (_case, file, code) => {
    expect(await layerErrors(file, `${code}\n`)).toEqual([]);
  });

  it('fails on a file Prettier would format differently', async () => {
    const file = path.join(PROJECT_ROOT, 'lambdas/handlers/layer-check.ts');
    const options = { ...(await prettier.resolveConfig(file)), filepath: file };
    const ignorePath = path.join(PROJECT_ROOT, '.prettierignore');
    expect((await prettier.getFileInfo(file, { ignorePath })).ignored).toBe(false);

    expect(await prettier.check('export const answer = {a:1, "b" : 2}\n', options)).toBe(false);
    expect(await prettier.check('export const answer = { a: 1, b: 2 };\n', options)).toBe(true);
  });
});
