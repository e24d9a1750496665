import type { Template } from 'aws-cdk-lib/assertions';
import { HANDLERS } from '../../lib/service/handlers.js';
import { routeKey, type RouteDeclaration } from '../../lib/service/routes.js';
import type { EventRuleDeclaration } from '../../lib/service/rules.js';
import { createTableInput, type TableDeclaration } from '../../lib/service/table.js';
import { handlerOfFunction, refId, type Resource } from '../support/cdk.js';

/*
 * Pure comparisons of a synthesized template with the shared declarations of lib/service that
 * the local server also runs on. Each returns the list of differences, empty when the two agree,
 * so a test can show both that the real pair agrees and that a change on either side alone is
 * reported.
 */

const show = (value: unknown) => JSON.stringify(value);

/** JSON with object keys sorted, so that equal data compares equal whatever its key order or realm. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => a.localeCompare(b)))
      : item,
  );
}

/** Deep equality of JSON data: arrays in order, objects whatever their key order. */
const jsonEqual = (a: unknown, b: unknown) => canonical(a) === canonical(b);
const sorted = (values: readonly string[]) => [...values].sort();

/** Names the function a logical id points at, for messages. */
function describeFunction(template: Template, functionId: string | undefined): string {
  const handler = handlerOfFunction(template, functionId);
  if (handler) return `the ${handler} function (${functionId})`;
  return functionId ? `${functionId}, which is no declared handler's function` : 'no function of this template';
}

/** The integration a route's `Target` (`integrations/<id>`) names. */
function integrationId(target: unknown): string | undefined {
  const join = (target as { 'Fn::Join'?: [string, unknown[]] } | undefined)?.['Fn::Join'];
  if (!join || join[0] !== '' || join[1].length !== 2 || join[1][0] !== 'integrations/') return undefined;
  return refId(join[1][1]);
}

/**
 * Differences between the template's HTTP API routes and the declared routes: route keys (as
 * sets), authorization (JWT with exactly the declared scopes, or NONE when none are declared)
 * and the function each route's Lambda integration invokes.
 */
export function diffRoutes(template: Template, routes: readonly RouteDeclaration[]): string[] {
  const diffs: string[] = [];
  const byKey = new Map<string, Resource>();
  for (const route of Object.values(template.findResources('AWS::ApiGatewayV2::Route'))) {
    const key = route.Properties.RouteKey as string;
    if (byKey.has(key)) diffs.push(`the template defines ${key} twice`);
    byKey.set(key, route);
  }
  const declared = new Map(routes.map((route) => [routeKey(route), route]));
  for (const key of byKey.keys()) if (!declared.has(key)) diffs.push(`the template has ${key}, which no route declares`);

  const jwtAuthorizers = Object.keys(template.findResources('AWS::ApiGatewayV2::Authorizer', { Properties: { AuthorizerType: 'JWT' } }));
  const integrations = template.findResources('AWS::ApiGatewayV2::Integration');

  for (const [key, route] of declared) {
    const found = byKey.get(key);
    if (!found) {
      diffs.push(`${key} is declared but missing from the template`);
      continue;
    }
    const props = found.Properties;
    if (route.scopes.length > 0) {
      if (props.AuthorizationType !== 'JWT') diffs.push(`${key}: AuthorizationType is ${show(props.AuthorizationType)}, expected "JWT"`);
      if (jwtAuthorizers.length !== 1) diffs.push(`${key}: expected one JWT authorizer in the template, found ${jwtAuthorizers.length}`);
      else if (refId(props.AuthorizerId) !== jwtAuthorizers[0]) diffs.push(`${key}: AuthorizerId is ${show(props.AuthorizerId)}, expected the JWT authorizer ${jwtAuthorizers[0]}`);
      const scopes = (props.AuthorizationScopes ?? []) as string[];
      if (!jsonEqual(sorted(scopes), sorted(route.scopes))) {
        diffs.push(`${key}: AuthorizationScopes are ${show(sorted(scopes))}, declared ${show(sorted(route.scopes))}`);
      }
    } else {
      if (props.AuthorizationType !== 'NONE') diffs.push(`${key}: AuthorizationType is ${show(props.AuthorizationType)}, expected "NONE" (no scopes declared)`);
      if (props.AuthorizerId !== undefined || (props.AuthorizationScopes ?? []).length > 0) {
        diffs.push(`${key}: has an authorizer or scopes, but the declaration is open`);
      }
    }

    const integration = integrations[integrationId(props.Target) ?? ''];
    if (!integration) {
      diffs.push(`${key}: its Target ${show(props.Target)} is no integration of this template`);
      continue;
    }
    if (integration.Properties.IntegrationType !== 'AWS_PROXY') diffs.push(`${key}: integration type ${show(integration.Properties.IntegrationType)}, expected "AWS_PROXY"`);
    const functionId = refId(integration.Properties.IntegrationUri);
    if (handlerOfFunction(template, functionId) !== route.handler) {
      diffs.push(`${key}: invokes ${describeFunction(template, functionId)}, declared handler ${route.handler} ('${HANDLERS[route.handler].description}')`);
    }
  }
  return diffs;
}

/**
 * Differences between the template's one DynamoDB table and the table the local stack creates
 * from the same declaration (`createTableInput`): keys, attribute definitions, indexes (names,
 * keys, projection, nothing extra), stream view and billing mode.
 */
export function diffTable(template: Template, table: TableDeclaration): string[] {
  const tables = [
    ...Object.values(template.findResources('AWS::DynamoDB::GlobalTable')),
    ...Object.values(template.findResources('AWS::DynamoDB::Table')),
  ];
  if (tables.length !== 1) return [`expected one DynamoDB table in the template, found ${tables.length}`];
  const props = (tables[0] as Resource).Properties;
  const expected = createTableInput('declared', table);
  const diffs: string[] = [];

  if (!jsonEqual(props.KeySchema, expected.KeySchema)) diffs.push(`KeySchema is ${show(props.KeySchema)}, declared ${show(expected.KeySchema)}`);
  const byName = (a: { AttributeName?: string }, b: { AttributeName?: string }) => String(a.AttributeName).localeCompare(String(b.AttributeName));
  const attributes = [...((props.AttributeDefinitions ?? []) as { AttributeName: string }[])].sort(byName);
  const expectedAttributes = [...(expected.AttributeDefinitions ?? [])].sort(byName);
  if (!jsonEqual(attributes, expectedAttributes)) {
    diffs.push(`AttributeDefinitions are ${show(attributes)}, declared ${show(expectedAttributes)}`);
  }

  const indexes = new Map(((props.GlobalSecondaryIndexes ?? []) as { IndexName: string; KeySchema: unknown; Projection: unknown }[]).map((index) => [index.IndexName, index]));
  const expectedIndexes = new Map((expected.GlobalSecondaryIndexes ?? []).map((index) => [index.IndexName as string, index]));
  for (const name of indexes.keys()) if (!expectedIndexes.has(name)) diffs.push(`the template has index ${name}, which is not declared`);
  for (const [name, index] of expectedIndexes) {
    const found = indexes.get(name);
    if (!found) {
      diffs.push(`index ${name} is declared but missing from the template`);
      continue;
    }
    if (!jsonEqual(found.KeySchema, index.KeySchema)) diffs.push(`index ${name}: KeySchema is ${show(found.KeySchema)}, declared ${show(index.KeySchema)}`);
    if (!jsonEqual(found.Projection, index.Projection)) diffs.push(`index ${name}: Projection is ${show(found.Projection)}, declared ${show(index.Projection)}`);
  }

  const streamViewType = props.StreamSpecification?.StreamViewType;
  if (streamViewType !== table.streamViewType) diffs.push(`StreamViewType is ${show(streamViewType)}, declared ${show(table.streamViewType)}`);
  if (props.BillingMode !== expected.BillingMode) diffs.push(`BillingMode is ${show(props.BillingMode)}, declared ${show(expected.BillingMode)}`);
  return diffs;
}

/**
 * Differences between the template's EventBridge rules and the declared ones: a rule whose
 * `EventPattern` deep-equals each declared pattern (and no other rules), one target, the declared
 * handler's function, and the declared retry policy (which the local EventBridge also applies).
 */
export function diffRules(template: Template, rules: readonly EventRuleDeclaration[]): string[] {
  const diffs: string[] = [];
  const templateRules = Object.entries(template.findResources('AWS::Events::Rule'));
  const matched = new Set<string>();

  for (const declaration of rules) {
    const candidates = templateRules.filter(([, rule]) => jsonEqual(rule.Properties.EventPattern, declaration.pattern));
    if (candidates.length !== 1) {
      diffs.push(`rule ${declaration.id}: ${candidates.length} rules of the template have the declared pattern ${show(declaration.pattern)}, expected 1`);
      continue;
    }
    const [id, rule] = candidates[0] as [string, Resource];
    matched.add(id);
    if (rule.Properties.State === 'DISABLED') diffs.push(`rule ${declaration.id}: is disabled`);
    const targets = (rule.Properties.Targets ?? []) as { Arn: unknown; RetryPolicy?: Record<string, unknown> }[];
    if (targets.length !== 1) {
      diffs.push(`rule ${declaration.id}: has ${targets.length} targets, expected 1`);
      continue;
    }
    const target = targets[0] as (typeof targets)[number];
    const functionId = refId(target.Arn);
    if (handlerOfFunction(template, functionId) !== declaration.target) {
      diffs.push(`rule ${declaration.id}: targets ${describeFunction(template, functionId)}, declared handler ${declaration.target}`);
    }
    const retry = target.RetryPolicy ?? {};
    if (retry.MaximumRetryAttempts !== declaration.retryAttempts) {
      diffs.push(`rule ${declaration.id}: MaximumRetryAttempts is ${show(retry.MaximumRetryAttempts)}, declared ${declaration.retryAttempts}`);
    }
    if (retry.MaximumEventAgeInSeconds !== declaration.maxEventAgeSeconds) {
      diffs.push(`rule ${declaration.id}: MaximumEventAgeInSeconds is ${show(retry.MaximumEventAgeInSeconds)}, declared ${declaration.maxEventAgeSeconds}`);
    }
  }
  for (const [id, rule] of templateRules) {
    if (!matched.has(id)) diffs.push(`the template has rule ${id} with pattern ${show(rule.Properties.EventPattern)}, which no rule declares`);
  }
  return diffs;
}
