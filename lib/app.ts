import { App, Tags, Validations, type AppProps } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { stageConfig, type StageConfig } from './config/stage-config.js';
import { StatefulStack } from './stateful/stateful-stack.js';
import { StatelessStack } from './stateless/stateless-stack.js';

/** The service's stacks for one stage. */
export interface ServiceStacks {
  readonly config: StageConfig;
  readonly stateful: StatefulStack;
  readonly stateless: StatelessStack;
}

/**
 * Builds the stage named by the `stage` context value into `app`, with the AwsSolutions checks
 * of cdk-nag run on every synth (a finding fails it).
 */
export function buildServiceApp(app: App): ServiceStacks {
  const config = stageConfig(app.node.tryGetContext('stage'), app.node.tryGetContext('stages'));
  const prefix = `OrgFeatureFlags-${config.stage}`;
  const stateful = new StatefulStack(app, `${prefix}-Stateful`, {
    config,
    description: `org-feature-flags ${config.stage}: table, event bus, dead-letter queue, export bucket, alarm topic`,
    terminationProtection: config.retainData,
  });
  const stateless = new StatelessStack(app, `${prefix}-Stateless`, {
    config,
    description: `org-feature-flags ${config.stage}: functions, API, admin UI, event rules, job state machine, alarms`,
    table: stateful.table,
    eventBus: stateful.eventBus,
    deadLetterQueue: stateful.deadLetterQueue,
    exportBucket: stateful.exportBucket,
    alarmTopic: stateful.alarmTopic,
    jwt: stateful.jwtTrust,
    ...(stateful.devUserPool ? { devUserPool: stateful.devUserPool } : {}),
  });
  stateless.addStackDependency(stateful);
  Tags.of(app).add('service', 'org-feature-flags');
  Tags.of(app).add('stage', config.stage);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { config, stateful, stateless };
}

/** A new CDK app for a stage, as `cdk synth -c stage=NAME` builds it. */
export function serviceApp(props: AppProps = {}): { app: App } & ServiceStacks {
  const app = new App(props);
  return { app, ...buildServiceApp(app) };
}
