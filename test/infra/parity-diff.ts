import type { Template } from 'aws-cdk-lib/assertions';
import { HANDLERS } from '../../lib/service/handlers.js';
import type { JobMachineDeclaration } from '../../lib/service/jobs.js';
import { routeKey, type RouteDeclaration } from '../../lambdas/http/routes.js';
import type { EventRuleDeclaration } from '../../lib/service/rules.js';
import type { StreamConsumerDeclaration } from '../../lib/service/streams.js';
import { createTableInput, type TableDeclaration } from '../../lib/service/table.js';
import {
  type AslDefinition,
  type AslState,
  handlerOfFunction,
  placeholderId,
  refId,
  type Resource,
  stateMachineDefinition,
} from '../support/cdk.js';

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
  for (const key of byKey.keys())
    if (!declared.has(key)) diffs.push(`the template has ${key}, which no route declares`);

  const jwtAuthorizers = Object.keys(
    template.findResources('AWS::ApiGatewayV2::Authorizer', { Properties: { AuthorizerType: 'JWT' } }),
  );
  const integrations = template.findResources('AWS::ApiGatewayV2::Integration');

  for (const [key, route] of declared) {
    const found = byKey.get(key);
    if (!found) {
      diffs.push(`${key} is declared but missing from the template`);
      continue;
    }
    const props = found.Properties;
    if (route.scopes.length > 0) {
      if (props.AuthorizationType !== 'JWT')
        diffs.push(`${key}: AuthorizationType is ${show(props.AuthorizationType)}, expected "JWT"`);
      if (jwtAuthorizers.length !== 1)
        diffs.push(`${key}: expected one JWT authorizer in the template, found ${jwtAuthorizers.length}`);
      else if (refId(props.AuthorizerId) !== jwtAuthorizers[0])
        diffs.push(
          `${key}: AuthorizerId is ${show(props.AuthorizerId)}, expected the JWT authorizer ${jwtAuthorizers[0]}`,
        );
      const scopes = (props.AuthorizationScopes ?? []) as string[];
      if (!jsonEqual(sorted(scopes), sorted(route.scopes))) {
        diffs.push(`${key}: AuthorizationScopes are ${show(sorted(scopes))}, declared ${show(sorted(route.scopes))}`);
      }
    } else {
      if (props.AuthorizationType !== 'NONE')
        diffs.push(
          `${key}: AuthorizationType is ${show(props.AuthorizationType)}, expected "NONE" (no scopes declared)`,
        );
      if (props.AuthorizerId !== undefined || (props.AuthorizationScopes ?? []).length > 0) {
        diffs.push(`${key}: has an authorizer or scopes, but the declaration is open`);
      }
    }

    const integration = integrations[integrationId(props.Target) ?? ''];
    if (!integration) {
      diffs.push(`${key}: its Target ${show(props.Target)} is no integration of this template`);
      continue;
    }
    if (integration.Properties.IntegrationType !== 'AWS_PROXY')
      diffs.push(`${key}: integration type ${show(integration.Properties.IntegrationType)}, expected "AWS_PROXY"`);
    const functionId = refId(integration.Properties.IntegrationUri);
    if (handlerOfFunction(template, functionId) !== route.handler) {
      diffs.push(
        `${key}: invokes ${describeFunction(template, functionId)}, declared handler ${route.handler} ('${HANDLERS[route.handler].description}')`,
      );
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

  if (!jsonEqual(props.KeySchema, expected.KeySchema))
    diffs.push(`KeySchema is ${show(props.KeySchema)}, declared ${show(expected.KeySchema)}`);
  const byName = (a: { AttributeName?: string }, b: { AttributeName?: string }) =>
    String(a.AttributeName).localeCompare(String(b.AttributeName));
  const attributes = [...((props.AttributeDefinitions ?? []) as { AttributeName: string }[])].sort(byName);
  const expectedAttributes = [...(expected.AttributeDefinitions ?? [])].sort(byName);
  if (!jsonEqual(attributes, expectedAttributes)) {
    diffs.push(`AttributeDefinitions are ${show(attributes)}, declared ${show(expectedAttributes)}`);
  }

  const indexes = new Map(
    ((props.GlobalSecondaryIndexes ?? []) as { IndexName: string; KeySchema: unknown; Projection: unknown }[]).map(
      (index) => [index.IndexName, index],
    ),
  );
  const expectedIndexes = new Map(
    (expected.GlobalSecondaryIndexes ?? []).map((index) => [index.IndexName as string, index]),
  );
  for (const name of indexes.keys())
    if (!expectedIndexes.has(name)) diffs.push(`the template has index ${name}, which is not declared`);
  for (const [name, index] of expectedIndexes) {
    const found = indexes.get(name);
    if (!found) {
      diffs.push(`index ${name} is declared but missing from the template`);
      continue;
    }
    if (!jsonEqual(found.KeySchema, index.KeySchema))
      diffs.push(`index ${name}: KeySchema is ${show(found.KeySchema)}, declared ${show(index.KeySchema)}`);
    if (!jsonEqual(found.Projection, index.Projection))
      diffs.push(`index ${name}: Projection is ${show(found.Projection)}, declared ${show(index.Projection)}`);
  }

  const streamViewType = props.StreamSpecification?.StreamViewType;
  if (streamViewType !== table.streamViewType)
    diffs.push(`StreamViewType is ${show(streamViewType)}, declared ${show(table.streamViewType)}`);
  if (props.BillingMode !== expected.BillingMode)
    diffs.push(`BillingMode is ${show(props.BillingMode)}, declared ${show(expected.BillingMode)}`);
  return diffs;
}

/**
 * The rules of the template on a named bus (the org bus: created, existing or `default` by name).
 * The after-deploy sync rule sets no bus, being AWS-only (CloudFormation's events reach the
 * default bus); the job engine tests check that it is the only such rule.
 */
export function orgBusRules(template: Template): [string, Resource][] {
  return Object.entries(template.findResources('AWS::Events::Rule')).filter(
    ([, rule]) => rule.Properties.EventBusName !== undefined,
  );
}

/**
 * Differences between the template's EventBridge rules on the org bus and the declared ones: a
 * rule whose `EventPattern` deep-equals each declared pattern (and no other rules), one target,
 * the declared handler's function, and the declared retry policy (which the local EventBridge
 * also applies).
 */
export function diffRules(template: Template, rules: readonly EventRuleDeclaration[]): string[] {
  const diffs: string[] = [];
  const templateRules = orgBusRules(template);
  const matched = new Set<string>();

  for (const declaration of rules) {
    const candidates = templateRules.filter(([, rule]) => jsonEqual(rule.Properties.EventPattern, declaration.pattern));
    if (candidates.length !== 1) {
      diffs.push(
        `rule ${declaration.id}: ${candidates.length} rules of the template have the declared pattern ${show(declaration.pattern)}, expected 1`,
      );
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
      diffs.push(
        `rule ${declaration.id}: targets ${describeFunction(template, functionId)}, declared handler ${declaration.target}`,
      );
    }
    const retry = target.RetryPolicy ?? {};
    if (retry.MaximumRetryAttempts !== declaration.retryAttempts) {
      diffs.push(
        `rule ${declaration.id}: MaximumRetryAttempts is ${show(retry.MaximumRetryAttempts)}, declared ${declaration.retryAttempts}`,
      );
    }
    if (retry.MaximumEventAgeInSeconds !== declaration.maxEventAgeSeconds) {
      diffs.push(
        `rule ${declaration.id}: MaximumEventAgeInSeconds is ${show(retry.MaximumEventAgeInSeconds)}, declared ${declaration.maxEventAgeSeconds}`,
      );
    }
  }
  for (const [id, rule] of templateRules) {
    if (!matched.has(id))
      diffs.push(
        `the template has rule ${id} with pattern ${show(rule.Properties.EventPattern)}, which no rule declares`,
      );
  }
  return diffs;
}

const LAMBDA_INVOKE = /^arn:\$\{Ref:AWS::Partition\}:states:::lambda:invoke$/;

/** The declared retry, as Step Functions spells one retrier for every error. */
function declaredRetry(machine: JobMachineDeclaration) {
  return [
    {
      ErrorEquals: ['States.ALL'],
      IntervalSeconds: machine.retry.intervalSeconds,
      MaxAttempts: machine.retry.maxAttempts,
      BackoffRate: machine.retry.backoffRate,
    },
  ];
}

/**
 * Differences between the template's one job state machine and the declaration the local engine
 * also follows (lib/service/jobs.ts): a standard machine whose first state invokes the declared
 * worker with `{action: 'run', job_id}` keeping the job id in the state, with exactly the declared
 * retry and step timeout, looping back while the job is not done; and whose catch of every error
 * invokes the same worker with `{action: 'fail', job_id, error}`, with the same retry and timeout,
 * and ends in a Fail state. Every Lambda task must invoke the declared worker.
 */
export function diffJobMachine(template: Template, machine: JobMachineDeclaration): string[] {
  const machines = Object.entries(template.findResources('AWS::StepFunctions::StateMachine'));
  if (machines.length !== 1) return [`expected one state machine in the template, found ${machines.length}`];
  const [id, resource] = machines[0] as [string, Resource];
  const diffs: string[] = [];
  if ((resource.Properties.StateMachineType ?? 'STANDARD') !== 'STANDARD')
    diffs.push(`StateMachineType is ${show(resource.Properties.StateMachineType)}, expected "STANDARD"`);

  let definition: AslDefinition;
  try {
    definition = stateMachineDefinition(template, id);
  } catch (error) {
    return [...diffs, `the definition does not parse: ${error instanceof Error ? error.message : String(error)}`];
  }
  const states = definition.States;
  const retry = declaredRetry(machine);

  const checkWorkerTask = (
    name: string,
    state: AslState | undefined,
    payload: Record<string, unknown>,
  ): state is AslState => {
    if (state?.Type !== 'Task' || !LAMBDA_INVOKE.test(String(state.Resource))) {
      diffs.push(`${name}: is ${show(state?.Type)} ${show(state?.Resource)}, expected a Lambda invoke task`);
      return false;
    }
    const functionId = placeholderId(state.Parameters?.FunctionName);
    if (handlerOfFunction(template, functionId) !== machine.worker) {
      diffs.push(
        `${name}: invokes ${show(state.Parameters?.FunctionName)}, declared worker ${machine.worker} ('${HANDLERS[machine.worker].description}')`,
      );
    }
    if (!jsonEqual(state.Parameters?.Payload, payload))
      diffs.push(`${name}: Payload is ${show(state.Parameters?.Payload)}, expected ${show(payload)}`);
    if (!jsonEqual(state.Retry, retry)) diffs.push(`${name}: Retry is ${show(state.Retry)}, declared ${show(retry)}`);
    if (state.TimeoutSeconds !== machine.stepTimeoutSeconds)
      diffs.push(`${name}: TimeoutSeconds is ${show(state.TimeoutSeconds)}, declared ${machine.stepTimeoutSeconds}`);
    return true;
  };

  for (const [name, state] of Object.entries(states)) {
    if (state.Type === 'Task' && !LAMBDA_INVOKE.test(String(state.Resource)))
      diffs.push(`${name}: a task of another kind (${show(state.Resource)})`);
  }

  const runName = definition.StartAt;
  const run = states[runName];
  if (!checkWorkerTask(runName, run, { action: 'run', 'job_id.$': '$.job_id' })) return diffs;
  // The job id must survive the step: the result goes under its own path, never over the state.
  if (typeof run.ResultPath !== 'string' || !/^\$\.[A-Za-z_]+$/.test(run.ResultPath) || run.ResultPath === '$.job_id') {
    diffs.push(`${runName}: ResultPath is ${show(run.ResultPath)}, expected a path of its own that keeps $.job_id`);
  }
  const check = states[run.Next ?? ''];
  const loops = check?.Type === 'Choice' && (check.Choices ?? []).some((choice) => choice.Next === runName);
  if (!loops) diffs.push(`${runName}: its Next ${show(run.Next)} is no Choice that loops back to it`);

  const catches = run.Catch ?? [];
  if (
    catches.length !== 1 ||
    !jsonEqual(catches[0]?.ErrorEquals, ['States.ALL']) ||
    catches[0]?.ResultPath !== '$.error'
  ) {
    diffs.push(`${runName}: Catch is ${show(catches)}, expected one catch of States.ALL with ResultPath $.error`);
    return diffs;
  }
  const recordName = catches[0].Next;
  const record = states[recordName];
  if (checkWorkerTask(recordName, record, { action: 'fail', 'job_id.$': '$.job_id', 'error.$': '$.error' })) {
    const ends = [record.Next, ...(record.Catch ?? []).map((c) => c.Next)].map((next) => states[next ?? '']?.Type);
    if (ends.length === 0 || ends.some((type) => type !== 'Fail'))
      diffs.push(`${recordName}: goes on to ${show(ends)}, expected only Fail states`);
  }
  return diffs;
}

/**
 * Differences between the template's event source mappings and the declared stream consumers
 * (which the local stack's stream reader also runs on): one mapping per consumer, whose filter
 * deep-equals the declared one (and no other mappings), the declared handler's function, batch
 * size, starting position, retries, record age, bisection, and partial batch responses.
 */
export function diffStreamConsumers(template: Template, consumers: readonly StreamConsumerDeclaration[]): string[] {
  const diffs: string[] = [];
  const mappings = Object.entries(template.findResources('AWS::Lambda::EventSourceMapping'));
  const patternsOf = (mapping: Resource) =>
    ((mapping.Properties.FilterCriteria?.Filters ?? []) as { Pattern: string }[]).map(
      (filter) => JSON.parse(filter.Pattern) as unknown,
    );
  const matched = new Set<string>();
  for (const consumer of consumers) {
    const candidates = mappings.filter(([, mapping]) => jsonEqual(patternsOf(mapping), [consumer.filter]));
    if (candidates.length !== 1) {
      diffs.push(
        `stream consumer ${consumer.id}: ${candidates.length} event source mappings of the template have the declared filter ${show(consumer.filter)}, expected 1`,
      );
      continue;
    }
    const [id, mapping] = candidates[0] as [string, Resource];
    matched.add(id);
    const props = mapping.Properties;
    const functionId = refId(props.FunctionName);
    if (handlerOfFunction(template, functionId) !== consumer.target) {
      diffs.push(
        `stream consumer ${consumer.id}: maps to ${describeFunction(template, functionId)}, declared handler ${consumer.target}`,
      );
    }
    const expected: Record<string, unknown> = {
      BatchSize: consumer.batchSize,
      StartingPosition: consumer.startingPosition,
      MaximumRetryAttempts: consumer.retryAttempts,
      MaximumRecordAgeInSeconds: consumer.maxRecordAgeSeconds,
      BisectBatchOnFunctionError: consumer.bisectBatchOnError,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    };
    for (const [name, value] of Object.entries(expected)) {
      if (!jsonEqual(props[name], value))
        diffs.push(`stream consumer ${consumer.id}: ${name} is ${show(props[name])}, declared ${show(value)}`);
    }
  }
  for (const [id, mapping] of mappings) {
    if (!matched.has(id))
      diffs.push(
        `the template has event source mapping ${id} with filters ${show(patternsOf(mapping))}, which no stream consumer declares`,
      );
  }
  return diffs;
}
