import path from 'node:path';
import { type CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { StageConfig } from '../config/stage-config.js';
import {
  DEFAULT_TIMEOUT_SECONDS,
  HANDLERS,
  handlerEntryPath,
  type ExtraGrant,
  type HandlerDeclaration,
  type HandlerName,
  TABLE_ACTIONS,
} from '../service/handlers.js';
import { PROJECT_ROOT } from '../project.js';
import { cdkBundling, FUNCTION_NODE_OPTIONS, FUNCTION_RUNTIME } from './bundling.js';

/** What reading the table's stream takes (the actions Lambda's event source mapping uses), on the stream only. */
export const STREAM_ACTIONS: readonly string[] = [
  'dynamodb:DescribeStream',
  'dynamodb:GetRecords',
  'dynamodb:GetShardIterator',
  'dynamodb:ListStreams',
];

export { DEFAULT_TIMEOUT_SECONDS };

/** Where the job worker writes the rows an orphan cleanup deletes: `<prefix><job id>/page-….jsonl`. */
export const EXPORT_PREFIX = 'orphan-exports/';

/** Props of a {@link ServiceFunction}. */
export interface ServiceFunctionProps {
  /** Which declared handler this function runs. */
  readonly handler: HandlerName;
  readonly config: StageConfig;
  /** The flag table; required when the handler's declared table access is not `none`. */
  readonly table?: ITable;
}

/**
 * One Lambda function of the service, with the defaults every function shares: Node.js 24 on
 * arm64, an ESM bundle minified with source maps, X-Ray tracing, its own log group with the
 * stage's retention, Powertools settings, and a role that holds exactly the table access its
 * handler declares (with `Query` on each declared index, both confined to the declared partitions
 * if any) and the declared timeout.
 *
 * The extra grants a handler declares are wired by the stack with {@link allowStartingJobs},
 * {@link allowWritingExports}, {@link allowReadingStream} and {@link allowPublishingEvents}, each
 * granting and setting the environment in one call. Synth fails
 * when a declared grant was not wired, and wiring an undeclared one throws.
 */
export class ServiceFunction extends Construct {
  readonly function: NodejsFunction;
  readonly logGroup: LogGroup;
  readonly role: Role;
  readonly handlerName: HandlerName;
  private readonly declaration: HandlerDeclaration;
  private readonly wired = new Set<ExtraGrant>();

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);
    const declaration: HandlerDeclaration = HANDLERS[props.handler];
    const { config } = props;
    this.handlerName = props.handler;
    this.declaration = declaration;

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: config.logRetentionDays as RetentionDays,
      removalPolicy: config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${declaration.description} (${config.stage})`,
    });
    this.role.addToPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    this.function = new NodejsFunction(this, 'Function', {
      entry: handlerEntryPath(props.handler),
      handler: 'handler',
      description: declaration.description,
      runtime: FUNCTION_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: config.functionMemoryMb,
      timeout: Duration.seconds(declaration.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS),
      tracing: Tracing.ACTIVE,
      logGroup: this.logGroup,
      role: this.role,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      environment: {
        POWERTOOLS_SERVICE_NAME: 'org-feature-flags',
        POWERTOOLS_LOG_LEVEL: config.logLevel,
        NODE_OPTIONS: FUNCTION_NODE_OPTIONS,
      },
      bundling: cdkBundling(),
    });

    if (declaration.tableAccess !== 'none') {
      if (!props.table)
        throw new Error(`${props.handler} declares ${declaration.tableAccess} table access but was given no table`);
      this.bindTable(props.table, declaration);
    } else if ((declaration.tableIndexes ?? []).length > 0 || declaration.tablePartitions) {
      throw new Error(`${props.handler} declares table indexes or partitions but no table access`);
    }

    this.node.addValidation({
      validate: () =>
        (declaration.grants ?? [])
          .filter((grant) => !this.wired.has(grant))
          .map(
            (grant) =>
              `${props.handler} declares the grant '${grant}', but the stack did not wire it (${GRANT_WIRING[grant]})`,
          ),
    });
  }

  /**
   * Lets the function start runs of the job state machine, and only of that one
   * (`states:StartExecution`), and tells it the machine's ARN in `JOB_STATE_MACHINE_ARN`.
   */
  allowStartingJobs(stateMachine: IStateMachine): void {
    this.wire('start-jobs');
    this.role.addToPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['states:StartExecution'],
        resources: [stateMachine.stateMachineArn],
      }),
    );
    this.function.addEnvironment('JOB_STATE_MACHINE_ARN', stateMachine.stateMachineArn);
  }

  /**
   * Lets the function write orphan exports to the bucket (`s3:PutObject` under `orphan-exports/`,
   * nothing else: no read, no delete, no overwrite permission beyond PutObject itself), and tells it
   * the bucket's name in `EXPORT_BUCKET`.
   */
  allowWritingExports(bucket: IBucket): void {
    this.wire('write-exports');
    this.role.addToPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['s3:PutObject'],
        resources: [bucket.arnForObjects(`${EXPORT_PREFIX}*`)],
      }),
    );
    this.function.addEnvironment('EXPORT_BUCKET', bucket.bucketName);
    Validations.of(this.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagArnText(this, bucket)}/${EXPORT_PREFIX}*]`,
      reason: `Export keys are generated per page and attempt (${EXPORT_PREFIX}<job id>/page-NNNNNN-<uuid>.jsonl); the grant is PutObject only, under that prefix only.`,
    });
  }

  /**
   * Lets the function read the table's stream (what an event source mapping on it needs:
   * DescribeStream, GetRecords, GetShardIterator, ListStreams), on that stream only. The records
   * come in the function's events, so it needs no setting.
   */
  allowReadingStream(table: ITable): void {
    this.wire('read-stream');
    if (!table.tableStreamArn) throw new Error(`${this.handlerName}: the table has no stream to read`);
    this.role.addToPolicy(
      new PolicyStatement({ effect: Effect.ALLOW, actions: [...STREAM_ACTIONS], resources: [table.tableStreamArn] }),
    );
  }

  /**
   * Lets the function publish to the bus (`events:PutEvents` on that bus only), and tells it the
   * bus's name in `EVENT_BUS_NAME`.
   */
  allowPublishingEvents(bus: IEventBus): void {
    this.wire('publish-events');
    this.role.addToPolicy(
      new PolicyStatement({ effect: Effect.ALLOW, actions: ['events:PutEvents'], resources: [bus.eventBusArn] }),
    );
    this.function.addEnvironment('EVENT_BUS_NAME', bus.eventBusName);
  }

  private wire(grant: ExtraGrant): void {
    if (!(this.declaration.grants ?? []).includes(grant)) {
      throw new Error(
        `${this.handlerName} does not declare the grant '${grant}'; declare it in lib/service/handlers.ts first`,
      );
    }
    if (this.wired.has(grant)) throw new Error(`${this.handlerName}: the grant '${grant}' is wired twice`);
    this.wired.add(grant);
  }

  /**
   * Grants exactly the declared access to the table, `dynamodb:Query` (and nothing else) on each
   * declared index, both only on the declared partitions when it names some, and tells the
   * function the table's name.
   */
  private bindTable(table: ITable, declaration: HandlerDeclaration): void {
    const indexes = declaration.tableIndexes ?? [];
    const partitions = declaration.tablePartitions;
    if (partitions?.length === 0) throw new Error(`${this.handlerName} declares an empty list of table partitions`);
    const conditions = partitions && {
      'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [...partitions] },
    };
    this.role.addToPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: [...TABLE_ACTIONS[declaration.tableAccess]],
        resources: [table.tableArn],
        conditions,
      }),
    );
    if (indexes.length > 0) {
      this.role.addToPolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['dynamodb:Query'],
          resources: indexes.map((index) => `${table.tableArn}/index/${index}`),
          conditions,
        }),
      );
    }
    this.function.addEnvironment('TABLE_NAME', table.tableName);
  }
}

/** Which helper wires each extra grant, for the message of a declared grant left unwired. */
const GRANT_WIRING: Readonly<Record<ExtraGrant, string>> = {
  'start-jobs': 'call allowStartingJobs(stateMachine)',
  'write-exports': 'call allowWritingExports(bucket)',
  'read-stream': 'call allowReadingStream(table)',
  'publish-events': 'call allowPublishingEvents(bus)',
};

/**
 * How cdk-nag spells the bucket's ARN in a finding id, as seen from `scope`'s stack: the name of
 * the export it is imported by when the bucket is another stack's (the same export the CDK's
 * automatic cross-stack reference uses), or `<LogicalId.Arn>` in the same stack.
 */
function nagArnText(scope: Construct, bucket: IBucket): string {
  const producer = Stack.of(bucket);
  if (producer === Stack.of(scope)) return `<${producer.getLogicalId(bucket.node.defaultChild as CfnElement)}.Arn>`;
  const imported = producer.resolve(producer.exportValue(bucket.bucketArn)) as { 'Fn::ImportValue'?: unknown };
  if (typeof imported['Fn::ImportValue'] !== 'string')
    throw new Error(`cannot name the export of ${bucket.node.path}'s ARN`);
  return imported['Fn::ImportValue'];
}
