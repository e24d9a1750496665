import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Template } from 'aws-cdk-lib/assertions';
import { SCOPES } from '../../lambdas/domain/caller.js';
import { ORG_CREATED } from '../../lambdas/domain/events.js';
import { JOB_MACHINE, type JobMachineDeclaration } from '../../lib/service/jobs.js';
import { ROUTES, type RouteDeclaration } from '../../lambdas/http/routes.js';
import { eventRules, type EventRuleDeclaration } from '../../lib/service/rules.js';
import { CHANGE_EVENTS_STREAM } from '../../lib/service/streams.js';
import { FLAG_TABLE, type TableDeclaration } from '../../lib/service/table.js';
import {
  STAGE_NAMES,
  cdkJsonStages,
  functionIdsByHandler,
  removeSynthOutput,
  type SynthesizedStage,
  synthStage,
} from '../support/cdk.js';
import { diffJobMachine, diffRoutes, diffRules, diffStreamConsumers, diffTable } from './parity-diff.js';

/**
 * The deployed stacks and the local server are built from the same declarations in lib/service.
 * These tests compare each synthesized stage with those declarations, and show that a change on
 * either side alone (the declaration or the template) is reported.
 */

interface TemplateJson {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
}

/** A template whose JSON was changed by `change`, for the template-side checks. */
function changedTemplate(template: Template, change: (json: TemplateJson) => void): Template {
  const json = structuredClone(template.toJSON()) as TemplateJson;
  change(json);
  return Template.fromJSON(json);
}

/** The logical id of the resource of `type` whose properties satisfy `test`. */
function idWhere(json: TemplateJson, type: string, test: (properties: Record<string, unknown>) => boolean): string {
  const ids = Object.entries(json.Resources)
    .filter(([, r]) => r.Type === type && test(r.Properties))
    .map(([id]) => id);
  if (ids.length !== 1) throw new Error(`expected one ${type} matching, found ${ids.length}`);
  return ids[0] as string;
}

/** The (mutable) properties of the resource of `type` whose properties satisfy `test`. */
function propertiesWhere(
  json: TemplateJson,
  type: string,
  test: (properties: Record<string, unknown>) => boolean = () => true,
): Record<string, unknown> {
  return (json.Resources[idWhere(json, type, test)] as TemplateJson['Resources'][string]).Properties;
}

const withRoute = (key: string, change: (route: RouteDeclaration) => RouteDeclaration): RouteDeclaration[] =>
  ROUTES.map((route) => (`${route.method} ${route.path}` === key ? change(route) : route));

describe.each(STAGE_NAMES)('stage %s matches the shared declarations', (stage) => {
  let synth: SynthesizedStage;
  let stateless: Template;
  let stateful: Template;
  let rules: EventRuleDeclaration[];

  beforeAll(() => {
    synth = synthStage(stage);
    stateless = synth.statelessTemplate;
    stateful = synth.statefulTemplate;
    rules = eventRules({ orgEventSource: synth.config.orgEventSource });
  }, 120_000);
  afterAll(removeSynthOutput);

  describe('routes', () => {
    it('are exactly the declared routes, each with its declared scopes and handler', () => {
      expect(diffRoutes(stateless, ROUTES)).toEqual([]);
    });

    it('a changed scope in the declaration is reported', () => {
      const changed = withRoute('POST /org-feature-flags', (route) => ({
        ...route,
        scopes: [SCOPES.admin, SCOPES.service],
      }));
      expect(diffRoutes(stateless, changed)).toEqual([
        expect.stringMatching(/^POST \/org-feature-flags: AuthorizationScopes are .*, declared /),
      ]);
    });

    it('a scope added to the open route, a route removed, a route added and a handler swapped are reported', () => {
      expect(
        diffRoutes(
          stateless,
          withRoute('GET /health', (route) => ({ ...route, scopes: [SCOPES.admin] })),
        ),
      ).toEqual(
        expect.arrayContaining([expect.stringContaining('GET /health: AuthorizationType is "NONE", expected "JWT"')]),
      );
      expect(
        diffRoutes(
          stateless,
          ROUTES.filter((route) => route.path !== '/orgs/{org_id}/provision'),
        ),
      ).toEqual(['the template has POST /orgs/{org_id}/provision, which no route declares']);
      const [declared] = ROUTES as [RouteDeclaration];
      expect(
        diffRoutes(stateless, [
          ...ROUTES,
          { ...declared, method: 'GET', path: '/orgs/{org_id}/archive', handler: 'list-flags', scopes: [SCOPES.admin] },
        ]),
      ).toEqual(['GET /orgs/{org_id}/archive is declared but missing from the template']);
      expect(
        diffRoutes(
          stateless,
          withRoute('GET /feature-flags', (route) => ({ ...route, handler: 'get-org-flags' })),
        ),
      ).toEqual([
        expect.stringMatching(/^GET \/feature-flags: invokes the list-flags function .*declared handler get-org-flags/),
      ]);
    });

    it('a changed template is reported: other scopes, another target function, a missing route', () => {
      const functions = functionIdsByHandler(stateless);
      const moreScopes = changedTemplate(stateless, (json) => {
        propertiesWhere(
          json,
          'AWS::ApiGatewayV2::Route',
          (p) => p.RouteKey === 'POST /org-feature-flags',
        ).AuthorizationScopes = [SCOPES.admin, SCOPES.org];
      });
      expect(diffRoutes(moreScopes, ROUTES)).toEqual([
        expect.stringContaining('POST /org-feature-flags: AuthorizationScopes are'),
      ]);

      const otherTarget = changedTemplate(stateless, (json) => {
        const integration = propertiesWhere(json, 'AWS::ApiGatewayV2::Integration', (p) =>
          JSON.stringify(p.IntegrationUri).includes(functions['set-org-flag']),
        );
        integration.IntegrationUri = { 'Fn::GetAtt': [functions['provision-org'], 'Arn'] };
      });
      expect(diffRoutes(otherTarget, ROUTES)).toEqual([
        expect.stringMatching(/^POST \/org-feature-flags: invokes the provision-org function/),
      ]);

      const missing = changedTemplate(stateless, (json) => {
        delete json.Resources[idWhere(json, 'AWS::ApiGatewayV2::Route', (p) => p.RouteKey === 'GET /health')];
      });
      expect(diffRoutes(missing, ROUTES)).toEqual(['GET /health is declared but missing from the template']);
    });
  });

  describe('table', () => {
    it('has the declared keys, attributes, indexes (nothing extra), stream view and billing', () => {
      expect(diffTable(stateful, FLAG_TABLE)).toEqual([]);
    });

    it('a renamed key, a changed key type, an extra or a renamed index in the declaration are reported', () => {
      const renamedSortKey: TableDeclaration = { ...FLAG_TABLE, sortKey: { name: 'sort', type: 'S' } };
      expect(diffTable(stateful, renamedSortKey)).toEqual([
        expect.stringMatching(/^KeySchema is/),
        expect.stringMatching(/^AttributeDefinitions are/),
      ]);

      const numericKey: TableDeclaration = { ...FLAG_TABLE, partitionKey: { name: 'pk', type: 'N' } };
      expect(diffTable(stateful, numericKey)).toEqual([expect.stringMatching(/^AttributeDefinitions are/)]);

      const [first] = FLAG_TABLE.globalSecondaryIndexes;
      const extraIndex: TableDeclaration = {
        ...FLAG_TABLE,
        globalSecondaryIndexes: [
          ...FLAG_TABLE.globalSecondaryIndexes,
          {
            indexName: 'by-version',
            partitionKey: { name: 'gsi1pk', type: 'S' },
            sortKey: { name: 'version', type: 'N' },
          },
        ],
      };
      expect(diffTable(stateful, extraIndex)).toEqual(
        expect.arrayContaining([
          'index by-version is declared but missing from the template',
          expect.stringMatching(/^AttributeDefinitions are/),
        ]),
      );

      const renamedIndex: TableDeclaration = {
        ...FLAG_TABLE,
        globalSecondaryIndexes: FLAG_TABLE.globalSecondaryIndexes.map((index) =>
          index === first ? { ...index, indexName: 'flag-index' } : index,
        ),
      };
      expect(diffTable(stateful, renamedIndex)).toEqual([
        `the template has index ${first?.indexName}, which is not declared`,
        'index flag-index is declared but missing from the template',
      ]);
    });

    it('a changed template is reported: another index key, another stream view', () => {
      const changed = changedTemplate(stateful, (json) => {
        const props = propertiesWhere(json, 'AWS::DynamoDB::GlobalTable') as {
          GlobalSecondaryIndexes: { IndexName: string; KeySchema: { AttributeName: string }[] }[];
          StreamSpecification: { StreamViewType: string };
        };
        const byFlag = props.GlobalSecondaryIndexes.find((index) => index.IndexName === 'by-flag');
        const sortKey = byFlag?.KeySchema[1];
        if (!sortKey) throw new Error('the by-flag index has no sort key');
        sortKey.AttributeName = 'gsi2sk';
        props.StreamSpecification.StreamViewType = 'NEW_IMAGE';
      });
      expect(diffTable(changed, FLAG_TABLE)).toEqual([
        expect.stringMatching(/^index by-flag: KeySchema is/),
        'StreamViewType is "NEW_IMAGE", declared "NEW_AND_OLD_IMAGES"',
      ]);
    });
  });

  describe('event rules', () => {
    it(`are exactly the declared rules for the stage's orgEventSource, with pattern, target and retry policy`, () => {
      expect(rules.length).toBeGreaterThan(0);
      expect(diffRules(stateless, rules)).toEqual([]);
    });

    it('the rules follow the configured event source', () => {
      const stages = cdkJsonStages();
      const configured = (stages[stage] as { orgEventSource?: string }).orgEventSource;
      if (configured !== undefined) expect(synth.config.orgEventSource).toBe(configured);
      for (const rule of rules) expect(rule.pattern.source).toEqual([synth.config.orgEventSource]);
    });

    it('another source, another target or another retry count in the declaration is reported', () => {
      const otherSource = eventRules({ orgEventSource: `${synth.config.orgEventSource}-other` });
      const ids = rules.map((rule) => rule.id);
      expect(diffRules(stateless, otherSource).sort()).toEqual(
        [
          ...ids.map((id) =>
            expect.stringMatching(new RegExp(`^rule ${id}: 0 rules of the template have the declared pattern`)),
          ),
          ...ids.map(() => expect.stringMatching(/^the template has rule .*, which no rule declares$/)),
        ].sort(),
      );
      const [first] = rules;
      const others = rules.slice(1);
      expect(diffRules(stateless, [{ ...first!, target: 'provision-org' as const }, ...others])).toEqual([
        expect.stringMatching(
          new RegExp(`^rule ${first!.id}: targets the ${first!.target} function .*declared handler provision-org`),
        ),
      ]);
      expect(diffRules(stateless, [{ ...first!, retryAttempts: first!.retryAttempts + 1 }, ...others])).toEqual([
        expect.stringContaining(`rule ${first!.id}: MaximumRetryAttempts is`),
      ]);
    });

    it('a changed template pattern is reported', () => {
      const changed = changedTemplate(stateless, (json) => {
        const pattern = propertiesWhere(
          json,
          'AWS::Events::Rule',
          (p) =>
            p.EventBusName !== undefined &&
            (p.EventPattern as { 'detail-type'?: string[] })['detail-type']?.[0] === ORG_CREATED,
        ).EventPattern as Record<string, unknown>;
        pattern['detail-type'] = ['OrgDeleted'];
      });
      expect(diffRules(changed, rules)).toEqual([
        expect.stringContaining('0 rules of the template have the declared pattern'),
        expect.stringContaining('"detail-type":["OrgDeleted"]'),
      ]);
    });
  });

  describe('stream consumers', () => {
    it('the event source mapping on the table stream is exactly the declared change-event consumer', () => {
      expect(diffStreamConsumers(stateless, [CHANGE_EVENTS_STREAM])).toEqual([]);
    });

    it('another filter, target, batch size or retry count in the declaration is reported', () => {
      const otherPrefix = {
        ...CHANGE_EVENTS_STREAM,
        filter: { ...CHANGE_EVENTS_STREAM.filter, dynamodb: { Keys: { pk: { S: [{ prefix: 'ORG#' }] } } } },
      };
      expect(diffStreamConsumers(stateless, [otherPrefix])).toEqual([
        expect.stringMatching(
          /^stream consumer ChangeEvents: 0 event source mappings of the template have the declared filter/,
        ),
        expect.stringMatching(
          /^the template has event source mapping .*"prefix":"HIST#".*, which no stream consumer declares$/,
        ),
      ]);
      expect(diffStreamConsumers(stateless, [{ ...CHANGE_EVENTS_STREAM, target: 'org-created' }])).toEqual([
        expect.stringMatching(
          /^stream consumer ChangeEvents: maps to the publish-changes function .*declared handler org-created/,
        ),
      ]);
      expect(diffStreamConsumers(stateless, [{ ...CHANGE_EVENTS_STREAM, batchSize: 10, retryAttempts: 2 }])).toEqual([
        'stream consumer ChangeEvents: BatchSize is 100, declared 10',
        `stream consumer ChangeEvents: MaximumRetryAttempts is ${CHANGE_EVENTS_STREAM.retryAttempts}, declared 2`,
      ]);
    });

    it('a changed template is reported: another filter, no partial batch responses', () => {
      const changed = changedTemplate(stateless, (json) => {
        const props = propertiesWhere(json, 'AWS::Lambda::EventSourceMapping') as {
          FilterCriteria: { Filters: { Pattern: string }[] };
          FunctionResponseTypes?: string[];
        };
        props.FilterCriteria.Filters = [{ Pattern: JSON.stringify({ eventName: ['INSERT', 'MODIFY'] }) }];
      });
      expect(diffStreamConsumers(changed, [CHANGE_EVENTS_STREAM])).toEqual([
        expect.stringContaining('0 event source mappings of the template have the declared filter'),
        expect.stringContaining('"eventName":["INSERT","MODIFY"]'),
      ]);
      const whole = changedTemplate(stateless, (json) => {
        delete (propertiesWhere(json, 'AWS::Lambda::EventSourceMapping') as { FunctionResponseTypes?: string[] })
          .FunctionResponseTypes;
      });
      expect(diffStreamConsumers(whole, [CHANGE_EVENTS_STREAM])).toEqual([
        'stream consumer ChangeEvents: FunctionResponseTypes is undefined, declared ["ReportBatchItemFailures"]',
      ]);
    });
  });

  describe('job state machine', () => {
    const withRetry = (change: Partial<JobMachineDeclaration['retry']>): JobMachineDeclaration => ({
      ...JOB_MACHINE,
      retry: { ...JOB_MACHINE.retry, ...change },
    });

    /** A template whose state machine definition had `from` replaced by `to` (in its JSON text parts). */
    const changedDefinition = (from: string, to: string) =>
      changedTemplate(stateless, (json) => {
        const props = propertiesWhere(json, 'AWS::StepFunctions::StateMachine') as {
          DefinitionString: { 'Fn::Join': [string, unknown[]] };
        };
        const parts = props.DefinitionString['Fn::Join'][1];
        const index = parts.findIndex((part) => typeof part === 'string' && part.includes(from));
        if (index < 0) throw new Error(`the definition has no ${from}`);
        parts[index] = (parts[index] as string).replace(from, to);
      });

    it('loops the declared worker with exactly the declared retry and step timeout, and records failures with it', () => {
      expect(diffJobMachine(stateless, JOB_MACHINE)).toEqual([]);
    });

    it('a changed retry count, interval, backoff, timeout or worker in the declaration is reported', () => {
      expect(diffJobMachine(stateless, withRetry({ maxAttempts: JOB_MACHINE.retry.maxAttempts + 1 }))).toEqual([
        expect.stringMatching(/^RunPage: Retry is .*"MaxAttempts":3.*, declared .*"MaxAttempts":4/),
        expect.stringMatching(/^RecordFailure: Retry is .*, declared /),
      ]);
      expect(diffJobMachine(stateless, withRetry({ intervalSeconds: 1 }))).toHaveLength(2);
      expect(diffJobMachine(stateless, withRetry({ backoffRate: 3 }))).toHaveLength(2);
      expect(diffJobMachine(stateless, { ...JOB_MACHINE, stepTimeoutSeconds: 900 })).toEqual([
        'RunPage: TimeoutSeconds is 360, declared 900',
        'RecordFailure: TimeoutSeconds is 360, declared 900',
      ]);
      expect(diffJobMachine(stateless, { ...JOB_MACHINE, worker: 'org-created' })).toEqual([
        expect.stringMatching(/^RunPage: invokes .*, declared worker org-created/),
        expect.stringMatching(/^RecordFailure: invokes .*, declared worker org-created/),
      ]);
    });

    it('a changed template is reported: another retry, no loop, no catch, another worker', () => {
      expect(diffJobMachine(changedDefinition('"MaxAttempts":3', '"MaxAttempts":5'), JOB_MACHINE)).toEqual([
        expect.stringMatching(/^RunPage: Retry is .*"MaxAttempts":5/),
      ]);
      expect(
        diffJobMachine(
          changedDefinition('"BooleanEquals":false,"Next":"RunPage"', '"BooleanEquals":false,"Next":"JobSucceeded"'),
          JOB_MACHINE,
        ),
      ).toEqual(['RunPage: its Next "CheckDone" is no Choice that loops back to it']);
      expect(
        diffJobMachine(changedDefinition('"ResultPath":"$.error",', '"ResultPath":"$.step",'), JOB_MACHINE),
      ).toEqual([expect.stringMatching(/^RunPage: Catch is /)]);
      const functions = functionIdsByHandler(stateless);
      const otherWorker = changedTemplate(stateless, (json) => {
        const props = propertiesWhere(json, 'AWS::StepFunctions::StateMachine') as {
          DefinitionString: { 'Fn::Join': [string, unknown[]] };
        };
        const parts = props.DefinitionString['Fn::Join'][1];
        const first = parts.findIndex((part) => JSON.stringify(part).includes(functions['job-worker']));
        parts[first] = { 'Fn::GetAtt': [functions['org-created'], 'Arn'] };
      });
      expect(diffJobMachine(otherWorker, JOB_MACHINE)).toEqual([
        expect.stringMatching(/^RunPage: invokes .*OrgCreated.*, declared worker job-worker/),
      ]);
    });
  });
});
