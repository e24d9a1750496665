import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { OpenApiDocument } from '../../lambdas/http/openapi.js';
import { PROJECT_ROOT } from '../../lib/project.js';

/** Where `npm run openapi` writes the document. */
export const OPENAPI_FILE = path.join(PROJECT_ROOT, 'docs', 'openapi.json');

export function committedOpenApiText(): string {
  return readFileSync(OPENAPI_FILE, 'utf8');
}

const DOCUMENT_ID = 'https://org-feature-flags.test/openapi.json';

/** JSON Pointer segment escaping (`/` → `~1`, `~` → `~0`). */
const pointer = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * Checks bodies against the JSON Schemas of an OpenAPI 3.1 document with Ajv's 2020-12 dialect
 * (the dialect of OpenAPI 3.1), resolving the document's `$ref`s.
 */
export class DocumentedSchemas {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });

  constructor(readonly document: OpenApiDocument) {
    addFormats.default(this.ajv);
    this.ajv.addSchema(structuredClone(document) as object, DOCUMENT_ID);
  }

  /** Whether a schema is a valid 2020-12 schema; the meta-schema's complaints when not. */
  metaSchemaErrors(schema: unknown): ErrorObject[] {
    return this.ajv.validateSchema(schema as object) ? [] : [...(this.ajv.errors ?? [])];
  }

  /** Errors of `body` against the response schema of one operation and status; [] when it matches. */
  responseErrors(method: string, routePath: string, status: number, body: unknown): string[] {
    const operation = this.document.paths[routePath]?.[method.toLowerCase()] as
      { responses?: Record<string, unknown> } | undefined;
    if (!operation) return [`the document has no operation ${method} ${routePath}`];
    let response = operation.responses?.[status] as { $ref?: string; content?: unknown } | undefined;
    if (response === undefined) return [`${method} ${routePath} documents no ${status} answer`];
    const shared = response.$ref?.replace('#/components/responses/', '');
    const location = shared
      ? `#/components/responses/${pointer(shared)}`
      : `#/paths/${pointer(routePath)}/${method.toLowerCase()}/responses/${status}`;
    if (shared) response = (this.document.components.responses as Record<string, { content?: unknown }>)[shared];
    if (!response) return [`the shared response ${shared} is missing`];
    if (response.content === undefined)
      return body === undefined ? [] : [`${method} ${routePath} ${status} documents no body`];
    const validate = this.ajv.compile({ $ref: `${DOCUMENT_ID}${location}/content/application~1json/schema` });
    if (validate(body)) return [];
    return (validate.errors ?? []).map(
      (error) => `${error.instancePath || '(body)'} ${error.message ?? ''} ${JSON.stringify(error.params)}`,
    );
  }
}
