import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openApiDocument, serializeOpenApiDocument } from '../lambdas/http/openapi.js';
import { PROJECT_ROOT } from '../lib/project.js';
import { ROUTES } from '../lambdas/http/routes.js';

const FILE = join(PROJECT_ROOT, 'docs', 'openapi.json');
const { check } = parseArgs({ options: { check: { type: 'boolean', default: false } }, strict: true }).values;
const document = openApiDocument(ROUTES);
const text = serializeOpenApiDocument(document);

if (check) {
  const current = await readFile(FILE, 'utf8').catch(() => '');
  if (current !== text) {
    process.stderr.write('docs/openapi.json is not the document the routes generate; run `npm run openapi`.\n');
    process.exitCode = 1;
  } else process.stdout.write('docs/openapi.json is up to date.\n');
} else {
  await writeFile(FILE, text);
  process.stdout.write(`Wrote docs/openapi.json (${Object.keys(document.paths).length} paths).\n`);
}
