import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { serviceApp, type ServiceStacks } from '../../lib/app.js';
import { stageConfig } from '../../lib/config/stage-config.js';
import { HANDLERS, type HandlerName } from '../../lib/service/handlers.js';

/** One stage's raw settings, as written under `context.stages.<name>` in cdk.json. */
export type StageSettings = Record<string, unknown>;

/** The resources of a template, by logical id, as `Template.findResources` returns them. */
export type Resources = ReturnType<Template['findResources']>;
/** One resource of a template. */
export type Resource = Resources[string];

/** One IAM policy statement as it appears in a template. */
export interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: unknown;
  readonly Principal?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** The `stages` context of the project's cdk.json, read fresh on every call (callers may modify it). */
export function cdkJsonStages(): Record<string, StageSettings> {
  const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
    context?: { stages?: Record<string, StageSettings> };
  };
  const stages = cdkJson.context?.stages;
  if (!stages || Object.keys(stages).length === 0) throw new Error('cdk.json has no context.stages');
  return stages;
}

/** The stage names of cdk.json. */
export const STAGE_NAMES: readonly string[] = Object.keys(cdkJsonStages());

const outdirs: string[] = [];

/** A fresh directory for one app's cloud assembly (bundled assets included), removed by {@link removeSynthOutput}. */
export function newOutdir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'org-feature-flags-infra-'));
  outdirs.push(dir);
  return dir;
}

/** Removes the cloud assemblies written by this test file's apps (about 12 MB each); call it in `afterAll`. */
export function removeSynthOutput(): void {
  for (const dir of outdirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * A stage's app as `cdk synth -c stage=NAME` builds it, not yet synthesized. With `bundling: false`
 * no asset is built (the CDK's `aws:cdk:bundling-stacks` set to none): the functions' code and the
 * admin UI are not bundled and their assets' hashes differ, the rest of the templates is the same.
 */
export function buildStage(
  stage: string,
  stages: Record<string, StageSettings> = cdkJsonStages(),
  options: { bundling?: boolean } = {},
): { app: App } & ServiceStacks {
  const bundling = options.bundling === false ? { 'aws:cdk:bundling-stacks': [] } : {};
  return serviceApp({ context: { stage, stages, ...bundling }, outdir: newOutdir() });
}

/** A stage's app, synthesized once (cdk-nag included), with both stacks' templates. */
export interface SynthesizedStage extends ServiceStacks {
  readonly app: App;
  readonly assembly: CloudAssembly;
  readonly statefulTemplate: Template;
  readonly statelessTemplate: Template;
}

/** The environment variable naming the folder where a test run keeps its synthesized stages (set by the global setup). */
export const SYNTH_DIR_VARIABLE = 'TEST_SYNTH_DIR';

/**
 * A stage synthesized as `cdk synth -c stage=NAME` does (functions and admin UI bundled, cdk-nag
 * run), with both stacks' templates; with `bundling: false` as {@link buildStage} describes it, for
 * tests that read only the templates. Each stage (and each changed `stages`) is synthesized once per
 * test run, by the first test file that asks for it, into the run's folder ({@link SYNTH_DIR_VARIABLE});
 * the other files, in any worker, read that cloud assembly. So every file sees the same assembly,
 * built from the project's code: a test of a stack built from changed code uses {@link buildStage}.
 * `app`, `stateful` and `stateless` are the same app built again in this process on first use,
 * without bundling: their names and construct ids are the assembly's.
 */
export function synthStage(
  stage: string,
  stages: Record<string, StageSettings> = cdkJsonStages(),
  options: { bundling?: boolean } = {},
): SynthesizedStage {
  const assembly = sharedAssembly(stage, stages, options.bundling !== false);
  const template = (suffix: string) => {
    const stacks = assembly.stacks.filter((stack) => stack.hierarchicalId.endsWith(suffix));
    if (stacks.length !== 1) throw new Error(`expected one stack named *${suffix} in ${assembly.directory}`);
    return Template.fromJSON(stacks[0]!.template as Record<string, unknown>);
  };
  let built: ({ app: App } & ServiceStacks) | undefined;
  const tree = () => (built ??= buildStage(stage, stages, { bundling: false }));
  return {
    config: stageConfig(stage, stages),
    assembly,
    statefulTemplate: template('-Stateful'),
    statelessTemplate: template('-Stateless'),
    get app() {
      return tree().app;
    },
    get stateful() {
      return tree().stateful;
    },
    get stateless() {
      return tree().stateless;
    },
  };
}

const assemblies = new Map<string, CloudAssembly>();

/**
 * The cloud assembly of a stage, synthesized by whichever worker asks first while it holds the
 * stage's lock (a directory, made atomically), or, outside a test run's global setup, in this
 * process. A synth that throws is recorded, and every later call throws its message.
 */
function sharedAssembly(stage: string, stages: Record<string, StageSettings>, bundling: boolean): CloudAssembly {
  const context = { stage, stages, ...(bundling ? {} : { 'aws:cdk:bundling-stacks': [] }) };
  const synth = (outdir: string) => serviceApp({ context, outdir }).app.synth();
  const root = process.env[SYNTH_DIR_VARIABLE];
  if (!root) return synth(newOutdir());
  const key = createHash('sha256').update(JSON.stringify(context)).digest('hex').slice(0, 16);
  const known = assemblies.get(key);
  if (known) return known;
  const dir = path.join(root, `${stage}-${key}`);
  const [done, failed, lock] = [`${dir}.done`, `${dir}.failed`, `${dir}.lock`];
  for (;;) {
    if (existsSync(done)) {
      const assembly = new CloudAssembly(dir);
      assemblies.set(key, assembly);
      return assembly;
    }
    if (existsSync(failed)) throw new Error(readFileSync(failed, 'utf8'));
    if (!takeLock(lock)) {
      sleep(200);
      continue;
    }
    try {
      if (existsSync(done) || existsSync(failed)) continue;
      rmSync(dir, { recursive: true, force: true });
      try {
        synth(dir);
      } catch (error) {
        writeFileSync(
          failed,
          `Synth of stage ${stage} failed: ${error instanceof Error ? error.message : String(error)}`,
        );
        throw error;
      }
      writeFileSync(done, '');
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}

/** Takes the lock directory, or removes it when the process that took it has gone; false while another process holds it. */
function takeLock(lock: string): boolean {
  try {
    mkdirSync(lock);
    writeFileSync(path.join(lock, 'pid'), String(process.pid));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  let holder: number;
  try {
    holder = Number(readFileSync(path.join(lock, 'pid'), 'utf8'));
  } catch {
    return false;
  }
  try {
    process.kill(holder, 0);
  } catch {
    rmSync(lock, { recursive: true, force: true });
  }
  return false;
}

/** Blocks this thread for `ms` (synthesis is synchronous, and so are its callers). */
function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The one resource of `type` in the template; throws when there are none or several. */
export function onlyResource(template: Template, type: string): [string, Resource] {
  const entries = Object.entries(template.findResources(type));
  if (entries.length !== 1) throw new Error(`expected exactly one ${type}, found ${entries.length}`);
  return entries[0] as [string, Resource];
}

/** The logical id a `Ref` or `Fn::GetAtt` points at, or undefined for anything else. */
export function refId(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const ref = (value as { Ref?: unknown }).Ref;
  if (typeof ref === 'string') return ref;
  const getAtt = (value as { 'Fn::GetAtt'?: unknown })['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  return undefined;
}

/**
 * Follows a `Fn::ImportValue` of the stateless template to the value the stateful stack exports
 * under that name; any other value is returned unchanged (see {@link resolveImports} for imports
 * nested in other values).
 */
export function resolveImport(exporter: Template, value: unknown): unknown {
  if (typeof value !== 'object' || value === null || !('Fn::ImportValue' in value)) return value;
  const name = (value as { 'Fn::ImportValue': unknown })['Fn::ImportValue'];
  const outputs = Object.values(exporter.toJSON().Outputs ?? {}) as { Value: unknown; Export?: { Name?: unknown } }[];
  const output = outputs.find((candidate) => candidate.Export?.Name === name);
  if (!output) throw new Error(`no output of the exporting stack is exported as ${JSON.stringify(name)}`);
  return output.Value;
}

/** A value with every `Fn::ImportValue` inside it (in `Fn::Join`, arrays, objects) followed to what the exporter exports. */
export function resolveImports(exporter: Template, value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => resolveImports(exporter, item));
  if (typeof value !== 'object' || value === null) return value;
  if ('Fn::ImportValue' in value) return resolveImport(exporter, value);
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolveImports(exporter, item)]));
}

/** The handler whose declared description a function carries, or undefined. */
export function handlerOfFunction(template: Template, functionId: string | undefined): HandlerName | undefined {
  if (!functionId) return undefined;
  const fn = template.findResources('AWS::Lambda::Function')[functionId];
  if (!fn) return undefined;
  const names = (Object.keys(HANDLERS) as HandlerName[]).filter(
    (name) => HANDLERS[name].description === fn.Properties?.Description,
  );
  return names.length === 1 ? names[0] : undefined;
}

/** Each declared handler's function logical id, matched by the function's `Description`. */
export function functionIdsByHandler(template: Template): Record<HandlerName, string> {
  const result: Partial<Record<HandlerName, string>> = {};
  for (const name of Object.keys(HANDLERS) as HandlerName[]) {
    const ids = Object.keys(
      template.findResources('AWS::Lambda::Function', { Properties: { Description: HANDLERS[name].description } }),
    );
    if (ids.length !== 1)
      throw new Error(`expected one function described '${HANDLERS[name].description}' (${name}), found ${ids.length}`);
    result[name] = ids[0];
  }
  return result as Record<HandlerName, string>;
}

/** A value or list of values as a list. */
export function asArray<T>(value: T | readonly T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? [...(value as readonly T[])] : [value as T];
}

/** The statements of every identity policy attached to a role: its inline `Policies` and each `AWS::IAM::Policy` naming it. */
export function roleStatements(template: Template, roleId: string): Statement[] {
  const role = template.findResources('AWS::IAM::Role')[roleId];
  if (!role) throw new Error(`no role ${roleId}`);
  const inline = asArray<{ PolicyDocument: { Statement: Statement[] } }>(role.Properties?.Policies).flatMap(
    (p) => p.PolicyDocument.Statement,
  );
  const attached = Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => asArray<unknown>(policy.Properties.Roles).some((r) => refId(r) === roleId))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
  return [...inline, ...attached];
}

/** The statements of the execution role of a function. */
export function functionStatements(template: Template, functionId: string): Statement[] {
  const fn = template.findResources('AWS::Lambda::Function')[functionId];
  const roleId = refId(fn?.Properties?.Role);
  if (!roleId) throw new Error(`function ${functionId} has no role of this template`);
  return roleStatements(template, roleId);
}

/** Every policy statement of the template, with where it comes from. */
export function allStatements(template: Template): { source: string; statement: Statement }[] {
  const documents: { source: string; document: unknown }[] = [];
  const add = (type: string, read: (properties: Record<string, unknown>) => unknown[]) => {
    for (const [id, resource] of Object.entries(template.findResources(type))) {
      for (const document of read(resource.Properties ?? {})) documents.push({ source: `${type} ${id}`, document });
    }
  };
  add('AWS::IAM::Policy', (p) => [p.PolicyDocument]);
  add('AWS::IAM::ManagedPolicy', (p) => [p.PolicyDocument]);
  add('AWS::IAM::Role', (p) =>
    asArray<{ PolicyDocument: unknown }>(p.Policies as never).map((policy) => policy.PolicyDocument),
  );
  add('AWS::SQS::QueuePolicy', (p) => [p.PolicyDocument]);
  add('AWS::S3::BucketPolicy', (p) => [p.PolicyDocument]);
  add('AWS::SNS::TopicPolicy', (p) => [p.PolicyDocument]);
  add('AWS::KMS::Key', (p) => [p.KeyPolicy]);
  add('AWS::Events::EventBusPolicy', (p) => (p.Statement ? [{ Statement: [p.Statement] }] : []));
  return documents.flatMap(({ source, document }) =>
    asArray<Statement>((document as { Statement?: Statement[] } | undefined)?.Statement).map((statement) => ({
      source,
      statement,
    })),
  );
}

/** One state of a Step Functions definition (Amazon States Language), as far as the tests read it. */
export interface AslState {
  readonly Type: string;
  readonly Next?: string;
  readonly End?: boolean;
  readonly Resource?: string;
  readonly Parameters?: { readonly FunctionName?: string; readonly Payload?: Record<string, unknown> } & Record<
    string,
    unknown
  >;
  readonly ResultPath?: string | null;
  readonly ResultSelector?: Record<string, unknown>;
  readonly TimeoutSeconds?: number;
  readonly Retry?: readonly Record<string, unknown>[];
  readonly Catch?: readonly {
    readonly ErrorEquals: readonly string[];
    readonly ResultPath?: string;
    readonly Next: string;
  }[];
  readonly Choices?: readonly (Record<string, unknown> & { readonly Next: string })[];
  readonly Default?: string;
  readonly Error?: string;
  readonly Cause?: string;
}

/** A parsed Step Functions definition. */
export interface AslDefinition {
  readonly StartAt: string;
  readonly States: Readonly<Record<string, AslState>>;
  readonly Comment?: string;
}

/**
 * The definition of a state machine of the template, parsed. The CDK writes `DefinitionString` as
 * a `Fn::Join` of JSON text and references; each reference becomes a string placeholder,
 * `${Ref:Id}` or `${Id.Attribute}` (see {@link placeholderId}), so that the whole parses as JSON.
 */
export function stateMachineDefinition(template: Template, stateMachineId: string): AslDefinition {
  const machine = template.findResources('AWS::StepFunctions::StateMachine')[stateMachineId];
  if (!machine) throw new Error(`no state machine ${stateMachineId}`);
  const definition = machine.Properties.DefinitionString as unknown;
  if (typeof definition === 'string') return JSON.parse(definition) as AslDefinition;
  const join = (definition as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (!join) throw new Error(`DefinitionString of ${stateMachineId} is neither a string nor a Fn::Join`);
  const text = join[1]
    .map((part) => {
      if (typeof part === 'string') return part;
      const ref = (part as { Ref?: unknown }).Ref;
      if (typeof ref === 'string') return `\${Ref:${ref}}`;
      const getAtt = (part as { 'Fn::GetAtt'?: unknown })['Fn::GetAtt'];
      if (Array.isArray(getAtt)) return `\${${getAtt.join('.')}}`;
      throw new Error(`unexpected part ${JSON.stringify(part)} in the definition of ${stateMachineId}`);
    })
    .join(join[0]);
  return JSON.parse(text) as AslDefinition;
}

/** The logical id a definition placeholder (`${Ref:Id}` or `${Id.Attribute}`) names, or undefined. */
export function placeholderId(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  return /^\$\{(?:Ref:)?([A-Za-z0-9]+)(?:\.[A-Za-z]+)?\}$/.exec(value)?.[1];
}

/** Each statement of a role as `{ action, resource }` pairs, one per action and resource, imports resolved, sorted. */
export function grantPairs(
  statements: readonly Statement[],
  exporter: Template,
): { action: string; resource: string }[] {
  return statements
    .filter((statement) => statement.Effect === 'Allow')
    .flatMap((statement) =>
      asArray(statement.Action).flatMap((action) =>
        asArray(statement.Resource as unknown).map((resource) => ({
          action,
          resource: JSON.stringify(resolveImports(exporter, resource)),
        })),
      ),
    )
    .sort((a, b) => `${a.action} ${a.resource}`.localeCompare(`${b.action} ${b.resource}`));
}

/** Whether a policy statement denies requests not sent over TLS. */
export const deniesInsecureTransport = (statement: Statement) =>
  statement.Effect === 'Deny' && String(statement.Condition?.Bool?.['aws:SecureTransport']) === 'false';
