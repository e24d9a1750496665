import { Stack, Validations, type StackProps } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, type IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config/stage-config.js';
import type { JwtTrust } from '../stateful/dev-user-pool.js';
import { ServiceFunction } from '../constructs/service-function.js';
import { HANDLERS, type HandlerName } from '../service/handlers.js';
import { eventRules } from '../service/rules.js';
import { ServiceAlarms } from './alarms.js';
import { FlagApi } from './api.js';
import { OrgEvents } from './org-events.js';

/** Props of the {@link StatelessStack}: the stage and the stateful resources it runs over. */
export interface StatelessStackProps extends StackProps {
  readonly config: StageConfig;
  readonly table: ITableV2;
  readonly eventBus: IEventBus;
  readonly deadLetterQueue: IQueue;
  readonly alarmTopic: ITopic;
  readonly jwt: JwtTrust;
}

/** What can be replaced at will: one function per declared handler, the API, the event rules and the alarms. */
export class StatelessStack extends Stack {
  readonly functions: Readonly<Record<HandlerName, ServiceFunction>>;
  readonly api: FlagApi;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { config } = props;

    const names = Object.keys(HANDLERS) as HandlerName[];
    this.functions = Object.fromEntries(
      names.map((name) => [name, new ServiceFunction(this, pascalCase(name), { handler: name, config, table: props.table })]),
    ) as Record<HandlerName, ServiceFunction>;
    const lambdas = Object.fromEntries(names.map((name) => [name, this.functions[name].function as IFunction])) as Record<HandlerName, IFunction>;

    for (const fn of Object.values(this.functions)) {
      Validations.of(fn.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'X-Ray PutTraceSegments and PutTelemetryRecords have no resource-level permissions; this is the only wildcard.',
      });
    }

    // Referenced by ARN: the queue's policy, in the stateful stack, already admits the bus's rules.
    const deadLetterQueue = Queue.fromQueueArn(this, 'DeadLetterQueue', props.deadLetterQueue.queueArn);

    this.api = new FlagApi(this, 'Api', { config, jwt: props.jwt, functions: lambdas });
    new OrgEvents(this, 'OrgEvents', {
      eventBus: props.eventBus,
      rules: eventRules({ orgEventSource: config.orgEventSource }),
      functions: lambdas,
      deadLetterQueue,
    });
    new ServiceAlarms(this, 'Alarms', {
      topic: props.alarmTopic,
      functions: lambdas,
      api: this.api.api,
      table: props.table,
      deadLetterQueue: props.deadLetterQueue,
    });
  }
}

function pascalCase(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_, __, letter: string) => letter.toUpperCase());
}
