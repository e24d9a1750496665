import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Template } from 'aws-cdk-lib/assertions';
import { AssetManifestArtifact, type CloudAssembly } from 'aws-cdk-lib/cx-api';
import type { StageConfig } from '../../lib/config/stage-config.js';
import type { HandlerName } from '../../lib/service/handlers.js';
import { cdkJsonStages, functionIdsByHandler, refId, resolveImport, synthStage } from './cdk.js';

/*
 * What a stage deploys, read from its synthesized cloud assembly: the functions with the code
 * `cdk deploy` uploads and the environment the template gives them, which function each API route
 * and event rule invokes. The tests of test/deployed/ run these artifacts, not their sources.
 */

/** A stage as it is synthesized for a deploy: its assembly and templates. */
export interface DeployedStage {
  readonly config: StageConfig;
  readonly assembly: CloudAssembly;
  readonly stateful: Template;
  readonly stateless: Template;
  readonly statelessStackName: string;
}

/**
 * A stage synthesized as `cdk synth -c stage=NAME` does, shared with the other test files of the
 * run ({@link synthStage}). With `bundling: false` the assets are not built (the CDK's
 * `aws:cdk:bundling-stacks` set to none): the templates are the same but for the assets' hashes,
 * for tests that need no function code.
 */
export function synthDeployedStage(stage: string, options: { bundling: boolean }): DeployedStage {
  const synthesized = synthStage(stage, cdkJsonStages(), options);
  const stateless = synthesized.assembly.stacks.find((stack) => stack.hierarchicalId.endsWith('-Stateless'));
  if (!stateless) throw new Error(`no stateless stack in ${synthesized.assembly.directory}`);
  return {
    config: synthesized.config,
    assembly: synthesized.assembly,
    stateful: synthesized.statefulTemplate,
    stateless: synthesized.statelessTemplate,
    statelessStackName: stateless.stackName,
  };
}

/** A value of the template: a literal, `Ref`, `Fn::GetAtt` or `Fn::ImportValue` (by export name). */
export type TemplateValue = unknown;

/** One function of the template, as Lambda would run it. */
export interface DeployedFunction {
  readonly handler: HandlerName;
  readonly logicalId: string;
  /** `Handler`: the module and its export, `index.handler`. */
  readonly entryPoint: string;
  /** `Runtime`: `nodejs24.x`. */
  readonly runtime: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** `Environment.Variables` as the template writes them, references unresolved. */
  readonly environment: Readonly<Record<string, TemplateValue>>;
  /** The folder `cdk deploy` zips and uploads as the function's code (from the stack's asset manifest). */
  readonly codeDirectory: string;
}

/** Every declared handler's function in the stateless template, with the code folder its `S3Key` names in the asset manifest. */
export function deployedFunctions(stage: DeployedStage): Record<HandlerName, DeployedFunction> {
  const manifests = stage.assembly
    .getStackByName(stage.statelessStackName)
    .dependencies.filter(AssetManifestArtifact.isAssetManifestArtifact);
  if (manifests.length !== 1) throw new Error(`expected one asset manifest for ${stage.statelessStackName}`);
  const folderOfKey = new Map<string, string>();
  for (const asset of Object.values(manifests[0]?.contents.files ?? {})) {
    if (asset.source.packaging !== 'zip' || !asset.source.path) continue;
    for (const destination of Object.values(asset.destinations))
      folderOfKey.set(destination.objectKey, path.join(stage.assembly.directory, asset.source.path));
  }

  const resources = stage.stateless.findResources('AWS::Lambda::Function');
  const result: Partial<Record<HandlerName, DeployedFunction>> = {};
  for (const [handler, logicalId] of Object.entries(functionIdsByHandler(stage.stateless)) as [HandlerName, string][]) {
    const properties = resources[logicalId]?.Properties as {
      Handler: string;
      Runtime: string;
      Timeout: number;
      MemorySize: number;
      Environment?: { Variables?: Record<string, TemplateValue> };
      Code: { S3Key: string };
    };
    const codeDirectory = folderOfKey.get(properties.Code.S3Key);
    if (!codeDirectory) throw new Error(`${handler}: no asset of the manifest is uploaded as ${properties.Code.S3Key}`);
    result[handler] = {
      handler,
      logicalId,
      entryPoint: properties.Handler,
      runtime: properties.Runtime,
      timeoutSeconds: properties.Timeout,
      memoryMb: properties.MemorySize,
      environment: properties.Environment?.Variables ?? {},
      codeDirectory,
    };
  }
  return result as Record<HandlerName, DeployedFunction>;
}

/** The logical id of the function an HTTP API route's Lambda integration invokes, by route key (`GET /health`). */
export function routeTargets(template: Template): Map<string, string> {
  const integrations = template.findResources('AWS::ApiGatewayV2::Integration');
  const targets = new Map<string, string>();
  for (const route of Object.values(template.findResources('AWS::ApiGatewayV2::Route'))) {
    const join = (route.Properties.Target as { 'Fn::Join'?: [string, unknown[]] } | undefined)?.['Fn::Join'];
    const integration = integrations[refId(join?.[1][1]) ?? ''];
    const functionId = refId(integration?.Properties.IntegrationUri);
    if (functionId) targets.set(route.Properties.RouteKey as string, functionId);
  }
  return targets;
}

/** The logical ids of the functions the event rules whose pattern names this `detail-type` invoke. */
export function ruleTargets(template: Template, detailType: string): string[] {
  return Object.values(template.findResources('AWS::Events::Rule'))
    .filter((rule) =>
      ((rule.Properties.EventPattern as { 'detail-type'?: string[] })['detail-type'] ?? []).includes(detailType),
    )
    .flatMap((rule) => (rule.Properties.Targets as { Arn: unknown }[]).map((target) => refId(target.Arn)))
    .filter((id): id is string => id !== undefined);
}

/** A resource a template value refers to: in which stack, its type and logical id, and the attribute asked for (none for a `Ref`). */
export interface ReferencedResource {
  readonly stack: 'stateful' | 'stateless';
  readonly type: string;
  readonly logicalId: string;
  readonly attribute: string | undefined;
}

/**
 * The function's `Environment.Variables` as Lambda would set them: a literal as written, a `Ref`
 * or `Fn::GetAtt` of the stateless stack, or an `Fn::ImportValue` of what the stateful stack
 * exports, given by `bind` for the resource it refers to. Any other form throws, naming the variable.
 */
export function resolvedVariables(
  stage: DeployedStage,
  fn: DeployedFunction,
  bind: (resource: ReferencedResource) => string,
): Record<string, string> {
  const reference = (value: unknown, stack: 'stateful' | 'stateless'): ReferencedResource | undefined => {
    const logicalId = refId(value);
    if (!logicalId) return undefined;
    const getAtt = (value as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
    const type = (stack === 'stateful' ? stage.stateful : stage.stateless).toJSON().Resources?.[logicalId]?.Type as
      string | undefined;
    if (!type) throw new Error(`no resource ${logicalId} in the ${stack} stack`);
    return { stack, type, logicalId, attribute: getAtt?.[1] };
  };
  return Object.fromEntries(
    Object.entries(fn.environment).map(([name, value]) => {
      if (typeof value === 'string') return [name, value];
      const resource =
        typeof value === 'object' && value !== null && 'Fn::ImportValue' in value
          ? reference(resolveImport(stage.stateful, value), 'stateful')
          : reference(value, 'stateless');
      if (!resource)
        throw new Error(`${fn.handler}: ${name} is ${JSON.stringify(value)}, which the tests cannot resolve`);
      return [name, bind(resource)];
    }),
  );
}

/**
 * A document client straight to DynamoDB Local, for arranging and checking rows behind the
 * functions' back. It keeps the SDK's own limits: the functions' 2-second request timeout
 * (lambdas/adapters/dynamodb-client.ts) is theirs, and seeding hundreds of orgs on a loaded machine
 * can exceed it.
 */
export function tableClient(endpoint: string): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint }), {
    marshallOptions: { removeUndefinedValues: true },
  });
}
