import { Duration } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, MathExpression, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Operation, type ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

/** An alarm at `threshold` or more in one period, quiet on missing data, notifying `topic`. */
export function notifyingAlarm(
  scope: Construct,
  id: string,
  topic: ITopic,
  metric: IMetric,
  threshold: number,
  description: string,
): Alarm {
  const alarm = new Alarm(scope, id, {
    metric,
    threshold,
    evaluationPeriods: 1,
    comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: TreatMissingData.NOT_BREACHING,
    alarmDescription: description,
  });
  alarm.addAlarmAction(new SnsAction(topic));
  return alarm;
}

/** Props of {@link ServiceAlarms}. */
export interface ServiceAlarmsProps {
  readonly topic: ITopic;
  readonly functions: Readonly<Record<string, IFunction>>;
  readonly api: HttpApi;
  readonly table: ITableV2;
  readonly deadLetterQueue: IQueue;
  /** The job state machine: its failed, timed-out and aborted runs. */
  readonly jobStateMachine: IStateMachine;
  /** Where failed starts of the after-deploy sync wait. */
  readonly deploySyncDeadLetterQueue: IQueue;
}

/**
 * Alarms that say something is wrong, each notifying the alarm topic: a dead letter waiting (of
 * OrgCreated or of the after-deploy sync), function errors or throttles, API 5xx, DynamoDB
 * throttling, and a job run that failed, timed out or was aborted.
 */
export class ServiceAlarms extends Construct {
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: ServiceAlarmsProps) {
    super(scope, id);
    const fiveMinutes = { period: Duration.minutes(5), statistic: 'Sum' };
    const add = (name: string, metric: IMetric, description: string) =>
      this.alarms.push(notifyingAlarm(this, name, props.topic, metric, 1, description));

    add(
      'DeadLetters',
      props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      'An OrgCreated event failed every delivery and waits in the dead-letter queue: an org may lack its flags.',
    );
    add(
      'DeploySyncDeadLetters',
      props.deploySyncDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: 'Maximum',
      }),
      'The sync after a deploy could not be started (every delivery failed): orgs may lack the flags the deploy added. Start one with POST /jobs/sync.',
    );
    for (const [name, fn] of Object.entries(props.functions)) {
      add(`${name}-errors`, fn.metricErrors(fiveMinutes), `Function ${name} failed.`);
      add(`${name}-throttles`, fn.metricThrottles(fiveMinutes), `Function ${name} was throttled.`);
    }
    add('Api5xx', props.api.metricServerError(fiveMinutes), 'The API answered with a 5xx.');
    add(
      'TableThrottles',
      props.table.metricThrottledRequestsForOperations({
        operations: [
          Operation.GET_ITEM,
          Operation.QUERY,
          Operation.PUT_ITEM,
          Operation.UPDATE_ITEM,
          Operation.DELETE_ITEM,
          Operation.TRANSACT_WRITE_ITEMS,
        ],
        ...fiveMinutes,
      }),
      'DynamoDB throttled requests to the flag table.',
    );
    const machine = props.jobStateMachine;
    add(
      'JobRunFailed',
      new MathExpression({
        expression: 'FILL(failed, 0) + FILL(timedOut, 0) + FILL(aborted, 0)',
        usingMetrics: {
          failed: machine.metricFailed(fiveMinutes),
          timedOut: machine.metricTimedOut(fiveMinutes),
          aborted: machine.metricAborted(fiveMinutes),
        },
        period: Duration.minutes(5),
        label: 'Job runs failed, timed out or aborted',
      }),
      'A job run failed, timed out or was aborted. Look at GET /jobs (and GET /jobs/{job_id}): a job the engine gave up on shows failed with its cause; ' +
        'after fixing the cause, POST /jobs/{job_id}/resume continues it from its checkpoint. A job that went through every org with failed orgs ' +
        'is done: start a new job of the same type.',
    );
  }
}
