import { afterAll, describe, expect, it } from '@jest/globals';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { STAGE_NAMES, buildStage, cdkJsonStages, removeSynthOutput, synthStage } from '../support/cdk.js';
import { thrownBy } from '../support/rejection.js';

/** The prod stage's app; its assets are not built, as cdk-nag reads only the templates. */
const prodWithoutBundling = () => buildStage('prod', cdkJsonStages(), { bundling: false });

describe('cdk-nag AwsSolutions checks (registered by serviceApp)', () => {
  afterAll(removeSynthOutput);

  it.each(STAGE_NAMES)(
    'pass for stage %s: synth does not throw',
    (stage) => {
      expect(thrownBy(() => synthStage(stage))).toBeUndefined();
    },
    120_000,
  );

  it('run: an SQS queue without enforceSSL added to the prod stateful stack fails synth with AwsSolutions-SQS4', () => {
    const { app, stateful } = prodWithoutBundling();
    new Queue(stateful, 'QueueWithoutTls');
    const message = thrownBy(() => app.synth());
    expect(message).toMatch(/^ValidationFailed: /);
    expect(message).toContain('AwsSolutions-SQS4');
    expect(message).toContain('QueueWithoutTls');
  }, 120_000);

  it("acknowledges only the exact wildcards: another s3 wildcard on the job worker's role fails synth with AwsSolutions-IAM5", () => {
    const { app, stateful, stateless } = prodWithoutBundling();
    stateless.functions['job-worker'].role.addToPolicy(
      new PolicyStatement({ actions: ['s3:GetObject'], resources: [stateful.exportBucket.arnForObjects('*')] }),
    );
    const message = thrownBy(() => app.synth());
    expect(message).toMatch(/^ValidationFailed: /);
    expect(message).toMatch(/AwsSolutions-IAM5\[Resource::OrgFeatureFlags-prod-Stateful:ExportsOutput\w+\/\*\]/);
    expect(message).toContain('JobWorker/Role');
  }, 120_000);
});
