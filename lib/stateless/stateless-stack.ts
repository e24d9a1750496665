import { Stack, Validations, type StackProps } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, type IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config/stage-config.js';
import type { DevUserPool, JwtTrust } from '../stateful/dev-user-pool.js';
import { ServiceFunction } from '../constructs/service-function.js';
import { HANDLERS, type ExtraGrant, type HandlerDeclaration, type HandlerName } from '../service/handlers.js';
import { JOB_MACHINE } from '../service/jobs.js';
import { CHANGE_EVENTS_STREAM } from '../service/streams.js';
import { eventRules } from '../service/rules.js';
import type { UiSettings } from '../../ui/src/settings.js';
import { AdminUi } from './admin-ui.js';
import { AdminUiUserPoolClient, DEV_POOL_ADMIN_UI_SCOPE } from './admin-ui-client.js';
import { ServiceAlarms } from './alarms.js';
import { FlagApi } from './api.js';
import { ChangeEvents } from './change-events.js';
import { AfterDeploySync, JobEngine } from './jobs.js';
import { OrgEvents } from './org-events.js';

/** Props of the {@link StatelessStack}: the stage and the stateful resources it runs over. */
export interface StatelessStackProps extends StackProps {
  readonly config: StageConfig;
  readonly table: ITableV2;
  readonly eventBus: IEventBus;
  readonly deadLetterQueue: IQueue;
  /** Where orphan cleanups export the rows they delete. */
  readonly exportBucket: IBucket;
  readonly alarmTopic: ITopic;
  readonly jwt: JwtTrust;
  /** The stage's dev user pool, when it has one: the admin UI gets a client there. */
  readonly devUserPool?: DevUserPool;
}

/**
 * What can be replaced at will: one function per declared handler, the API, the admin UI, the
 * event rules, the job engine with its after-deploy sync, the change-event publisher's stream
 * mapping, and the alarms.
 */
export class StatelessStack extends Stack {
  readonly functions: Readonly<Record<HandlerName, ServiceFunction>>;
  readonly api: FlagApi;
  /** Absent when the stage sets `adminUi: false`. */
  readonly adminUi?: AdminUi;
  /** The admin UI's client at the dev user pool, on stages with one. */
  readonly adminUiClient?: AdminUiUserPoolClient;
  readonly jobs: JobEngine;
  readonly afterDeploySync: AfterDeploySync;
  readonly changeEvents: ChangeEvents;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { config } = props;

    const names = Object.keys(HANDLERS) as HandlerName[];
    this.functions = Object.fromEntries(
      names.map((name) => [
        name,
        new ServiceFunction(this, pascalCase(name), { handler: name, config, table: props.table }),
      ]),
    ) as Record<HandlerName, ServiceFunction>;
    const lambdas = Object.fromEntries(
      names.map((name) => [name, this.functions[name].function as IFunction]),
    ) as Record<HandlerName, IFunction>;

    for (const fn of Object.values(this.functions)) {
      Validations.of(fn.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'X-Ray PutTraceSegments and PutTelemetryRecords have no resource-level permissions; this is the only wildcard.',
      });
    }

    // Referenced by ARN: the queue's policy, in the stateful stack, already admits the bus's rules.
    const deadLetterQueue = Queue.fromQueueArn(this, 'DeadLetterQueue', props.deadLetterQueue.queueArn);

    // The UI comes first: on a dev pool its client joins the authorizer's audience. Its CSP names
    // the API its settings name (publish, below), so the distribution depends on the API; the API's
    // CORS therefore admits the UI's origin at deploy (admitOrigin), not in the API's template.
    let jwt = props.jwt;
    let auth: UiSettings['auth'] | undefined;
    if (config.adminUi !== false) {
      const connectSources = props.devUserPool
        ? [props.devUserPool.issuerOrigin, props.devUserPool.domainBaseUrl]
        : [new URL(props.jwt.issuer).origin, ...(config.adminUi?.connectOrigins ?? [])];
      const adminUi = new AdminUi(this, 'AdminUi', { config, connectSources: [...new Set(connectSources)] });
      this.adminUi = adminUi;
      if (props.devUserPool) {
        const client = new AdminUiUserPoolClient(this, 'AdminUiClient', {
          userPool: props.devUserPool.userPool,
          domainBaseUrl: props.devUserPool.domainBaseUrl,
          uiDomainName: adminUi.distribution.distributionDomainName,
        });
        this.adminUiClient = client;
        jwt = { ...jwt, audience: [...jwt.audience, client.client.userPoolClientId] };
        auth = {
          kind: 'oidc',
          authority: jwt.issuer,
          client_id: client.client.userPoolClientId,
          scope: DEV_POOL_ADMIN_UI_SCOPE,
          logout_url: client.logoutUrl,
        };
      } else if (config.adminUi) {
        const { clientId, scope, logoutUrl } = config.adminUi;
        auth = {
          kind: 'oidc',
          authority: jwt.issuer,
          client_id: clientId,
          scope,
          ...(logoutUrl ? { logout_url: logoutUrl } : {}),
        };
      }
    }

    this.api = new FlagApi(this, 'Api', {
      config,
      jwt,
      functions: lambdas,
      corsAllowOrigins: config.corsAllowOrigins,
    });
    if (this.adminUi && auth) {
      this.adminUi.publish({ api_url: this.api.api.apiEndpoint, auth });
      this.api.admitOrigin(this.adminUi.origin);
    }
    new OrgEvents(this, 'OrgEvents', {
      eventBus: props.eventBus,
      rules: eventRules({ orgEventSource: config.orgEventSource }),
      functions: lambdas,
      deadLetterQueue,
    });

    this.jobs = new JobEngine(this, 'Jobs', { config, machine: JOB_MACHINE, worker: lambdas[JOB_MACHINE.worker] });
    // Each extra grant a handler declares, wired to exactly that handler's function; a declared
    // grant left unwired fails synth (ServiceFunction's validation).
    const wire: Readonly<Record<ExtraGrant, (fn: ServiceFunction) => void>> = {
      'start-jobs': (fn) => fn.allowStartingJobs(this.jobs.stateMachine),
      'write-exports': (fn) => fn.allowWritingExports(props.exportBucket),
      'read-stream': (fn) => fn.allowReadingStream(props.table),
      'publish-events': (fn) => fn.allowPublishingEvents(props.eventBus),
    };
    for (const name of names) {
      const declaration: HandlerDeclaration = HANDLERS[name];
      for (const grant of declaration.grants ?? []) wire[grant](this.functions[name]);
    }
    this.afterDeploySync = new AfterDeploySync(this, 'AfterDeploySync', { config, target: lambdas['deploy-sync'] });
    this.changeEvents = new ChangeEvents(this, 'ChangeEvents', {
      table: props.table,
      consumer: CHANGE_EVENTS_STREAM,
      publisher: lambdas[CHANGE_EVENTS_STREAM.target],
      alarmTopic: props.alarmTopic,
    });

    new ServiceAlarms(this, 'Alarms', {
      topic: props.alarmTopic,
      functions: lambdas,
      api: this.api.api,
      table: props.table,
      deadLetterQueue: props.deadLetterQueue,
      jobStateMachine: this.jobs.stateMachine,
      deploySyncDeadLetterQueue: this.afterDeploySync.deadLetterQueue,
    });
  }
}

function pascalCase(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_, __, letter: string) => letter.toUpperCase());
}
