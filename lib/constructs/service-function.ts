import path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { StageConfig } from '../config/stage-config.js';
import { HANDLERS, handlerEntryPath, type HandlerName, type TableAccess } from '../service/handlers.js';
import { PROJECT_ROOT } from '../project.js';


/** The DynamoDB actions each level of table access grants: the least each handler needs. */
export const TABLE_ACTIONS: Readonly<Record<TableAccess, readonly string[]>> = {
  none: [],
  read: ['dynamodb:GetItem', 'dynamodb:Query'],
  'read-write': ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem'],
  'read-write-delete': ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:ConditionCheckItem', 'dynamodb:DeleteItem'],
};

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
 * handler declares.
 */
export class ServiceFunction extends Construct {
  readonly function: NodejsFunction;
  readonly logGroup: LogGroup;
  readonly role: Role;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);
    const declaration = HANDLERS[props.handler];
    const { config } = props;

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
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: config.functionMemoryMb,
      timeout: Duration.seconds(10),
      tracing: Tracing.ACTIVE,
      logGroup: this.logGroup,
      role: this.role,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      environment: {
        POWERTOOLS_SERVICE_NAME: 'org-feature-flags',
        POWERTOOLS_LOG_LEVEL: config.logLevel,
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        platform: 'node',
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        mainFields: ['module', 'main'],
        externalModules: [],
        banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
      },
    });

    if (declaration.tableAccess !== 'none') {
      if (!props.table) throw new Error(`${props.handler} declares ${declaration.tableAccess} table access but was given no table`);
      this.bindTable(props.table, declaration.tableAccess);
    }
  }

  /** Grants exactly the declared access to the table and tells the function its name. */
  private bindTable(table: ITable, access: TableAccess): void {
    this.role.addToPolicy(
      new PolicyStatement({ effect: Effect.ALLOW, actions: [...TABLE_ACTIONS[access]], resources: [table.tableArn] }),
    );
    this.function.addEnvironment('TABLE_NAME', table.tableName);
  }
}
