import { Duration } from 'aws-cdk-lib';
import { Rule, type EventPattern as CdkEventPattern, type IEventBus } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { EventPattern } from '../service/event-pattern.js';
import type { HandlerName } from '../service/handlers.js';
import type { EventRuleDeclaration } from '../service/rules.js';

/** Props of {@link OrgEvents}. */
export interface OrgEventsProps {
  readonly eventBus: IEventBus;
  readonly rules: readonly EventRuleDeclaration[];
  readonly functions: Readonly<Partial<Record<HandlerName, IFunction>>>;
  /** Where an event goes when every delivery failed, whether EventBridge or the function failed. */
  readonly deadLetterQueue: IQueue;
}

const CDK_KEYS: Readonly<Record<string, keyof CdkEventPattern>> = {
  version: 'version',
  id: 'id',
  'detail-type': 'detailType',
  source: 'source',
  account: 'account',
  time: 'time',
  region: 'region',
  resources: 'resources',
  detail: 'detail',
};

/** The declared pattern in the CDK's spelling; the template carries the declared one unchanged. */
export function toCdkEventPattern(pattern: EventPattern): CdkEventPattern {
  return Object.fromEntries(
    Object.entries(pattern).map(([field, value]) => {
      const key = CDK_KEYS[field];
      if (!key) throw new Error(`Event pattern field '${field}' is not a top-level EventBridge event field`);
      return [key, value];
    }),
  ) as CdkEventPattern;
}

/**
 * One rule per declared event rule on the org bus. EventBridge invokes the function
 * asynchronously, so failures are bounded twice: EventBridge retries a failed invoke per the
 * rule's policy, and Lambda retries a failed run and then sends it to the same dead-letter queue.
 */
export class OrgEvents extends Construct {
  constructor(scope: Construct, id: string, props: OrgEventsProps) {
    super(scope, id);
    for (const declaration of props.rules) {
      const fn = props.functions[declaration.target];
      if (!fn) throw new Error(`No function for rule ${declaration.id} (${declaration.target})`);
      const maxEventAge = Duration.seconds(declaration.maxEventAgeSeconds);
      fn.configureAsyncInvoke({
        retryAttempts: Math.min(2, declaration.retryAttempts),
        maxEventAge,
        onFailure: new SqsDestination(props.deadLetterQueue),
      });
      new Rule(this, declaration.id, {
        eventBus: props.eventBus,
        description: declaration.description,
        eventPattern: toCdkEventPattern(declaration.pattern),
        targets: [
          new LambdaFunction(fn, {
            deadLetterQueue: props.deadLetterQueue,
            retryAttempts: declaration.retryAttempts,
            maxEventAge,
          }),
        ],
      });
    }
  }
}
