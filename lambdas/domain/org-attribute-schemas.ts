import * as z from 'zod/mini';
import '../../registry/zod-locale.js';
import { ORG_ATTRIBUTES } from '../../registry/org-attributes.js';
import type { OrgAttributeDefinition } from '../../registry/index.js';
import { attributeValueProblem, MAX_STRING_ATTRIBUTE_LENGTH } from './org-attributes.js';

// Built from the declared attributes (registry/org-attributes.ts), so that the API's input types
// and its description name each attribute with its allowed values.

/** One value of a declared attribute. */
export function attributeValueSchema(definition: OrgAttributeDefinition) {
  switch (definition.type) {
    case 'enum':
      return z
        .enum(definition.values as [string, ...string[]], {
          error: `${definition.name} must be one of ${definition.values.join(', ')}`,
        })
        .check(z.describe(definition.description));
    case 'string':
      return z
        .string({ error: `${definition.name} must be a string` })
        .check(
          z.minLength(1, `${definition.name} must be 1–${MAX_STRING_ATTRIBUTE_LENGTH} characters`),
          z.maxLength(
            MAX_STRING_ATTRIBUTE_LENGTH,
            `${definition.name} must be 1–${MAX_STRING_ATTRIBUTE_LENGTH} characters`,
          ),
          z.describe(definition.description),
        );
    case 'date':
      return z.string({ error: `${definition.name} must be a date (YYYY-MM-DD)` }).check(
        z.refine(
          (value) => attributeValueProblem(definition, value) === undefined,
          `${definition.name} must be a date (YYYY-MM-DD)`,
        ),
        z.describe(definition.description),
      );
  }
}

/** Body of `PUT /orgs/{org_id}/attributes`: the org's whole set of attributes (those left out are unset). */
export const orgAttributesBodySchema = z.strictObject({
  attributes: z.strictObject(
    Object.fromEntries(
      ORG_ATTRIBUTES.map((definition) => [definition.name, z.optional(attributeValueSchema(definition))]),
    ),
  ),
});

/**
 * `GET /orgs` filters, one query parameter per declared attribute: `?plan=pro,enterprise` admits
 * orgs whose plan is either value.
 */
export const orgAttributeFilterQuery = Object.fromEntries(
  ORG_ATTRIBUTES.map((definition) => [
    definition.name,
    z.optional(
      z.pipe(
        z.string().check(
          z.refine(
            (list) => list.split(',').every((value) => attributeValueProblem(definition, value) === undefined),
            definition.type === 'enum'
              ? `${definition.name} must be one or more of ${definition.values.join(', ')}, separated by commas`
              : `${definition.name} must be one or more values, separated by commas`,
          ),
          z.describe(`Only orgs whose ${definition.name} is one of these comma-separated values`),
        ),
        z.transform((list: string) => list.split(',')),
      ),
    ),
  ]),
);
