import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Template } from 'aws-cdk-lib/assertions';
import { CORS } from '../../lib/service/cors.js';
import { ASSET_CACHE_CONTROL, HSTS_MAX_AGE, PAGE_CACHE_CONTROL } from '../../lib/stateless/admin-ui.js';
import { cspAllows, securityHeaderProblems } from '../../lib/smoke/admin-ui.js';
import { uiSettingsSchema } from '../../ui/src/settings.js';
import {
  STAGE_NAMES,
  asArray,
  cdkJsonStages,
  deniesInsecureTransport,
  onlyResource,
  refId,
  removeSynthOutput,
  resolveImports,
  roleStatements,
  synthStage,
  type Resource,
  type Statement,
  type SynthesizedStage,
} from '../support/cdk.js';

/*
 * The admin UI in AWS, as synthesized: a private bucket read only by the distribution (origin
 * access control), HTTPS only, the security headers, the path function, the UI's files and its
 * settings, the API's CORS, and sign-in at the stage's identity provider.
 */

const stages = cdkJsonStages();
const poolStages = STAGE_NAMES.filter((name) => (stages[name] as { devUserPool?: boolean }).devUserPool === true);

const synths: Record<string, SynthesizedStage> = {};
beforeAll(() => {
  for (const name of STAGE_NAMES) synths[name] = synthStage(name);
}, 240_000);
afterAll(removeSynthOutput);

/** Sample values for the template's references, so that a value with them becomes a plain string. */
const SAMPLE: Readonly<Record<string, string>> = {
  'AWS::Region': 'eu-west-1',
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::AccountId': '123456789012',
  'AWS::Partition': 'aws',
};

/**
 * A template value (`Fn::Join`, `Ref`, `Fn::GetAtt`, `Fn::ImportValue`) as text: pseudo parameters
 * become samples and other references readable placeholders (`{Id}`, `{Id.Attribute}`), or, with
 * `concrete`, values of the kind AWS puts there.
 */
function text(value: unknown, concrete = false): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map((item) => text(item, concrete)).join(',');
  const object = value as Record<string, unknown>;
  if ('Fn::Join' in object) {
    const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => text(part, concrete)).join(separator);
  }
  if ('Ref' in object)
    return (
      SAMPLE[object.Ref as string] ??
      (concrete ? `id${(object.Ref as string).toLowerCase()}` : `{${object.Ref as string}}`)
    );
  if ('Fn::GetAtt' in object) {
    const [id, attribute] = object['Fn::GetAtt'] as [string, string];
    if (!concrete) return `{${id}.${attribute}}`;
    return (
      {
        ApiEndpoint: 'https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com',
        DomainName: 'd111111abcdef8.cloudfront.net',
      }[attribute] ?? `${id}-${attribute}`
    );
  }
  if ('Fn::ImportValue' in object) return concrete ? 'imported' : `{import:${object['Fn::ImportValue'] as string}}`;
  throw new Error(`cannot render ${JSON.stringify(value)}`);
}

const resourceOfType = (
  template: Template,
  type: string,
  where: (id: string, resource: Resource) => boolean = () => true,
) => {
  const found = Object.entries(template.findResources(type)).filter(([id, resource]) => where(id, resource));
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return found[0] as [string, Resource];
};

describe.each(STAGE_NAMES)('the admin UI of stage %s', (stage) => {
  let template: Template;
  let synth: SynthesizedStage;
  let distributionId: string;
  let filesBucketId: string;
  let domain: string;

  beforeAll(() => {
    synth = synths[stage] as SynthesizedStage;
    template = synth.statelessTemplate;
    [distributionId] = onlyResource(template, 'AWS::CloudFront::Distribution');
    domain = `{${distributionId}.DomainName}`;
    const [, distribution] = onlyResource(template, 'AWS::CloudFront::Distribution');
    const origins = distribution.Properties.DistributionConfig.Origins as { DomainName: unknown }[];
    expect(origins).toHaveLength(1);
    filesBucketId = refId(origins[0]?.DomainName) as string;
  });

  it('keeps the files in a private, encrypted bucket without website hosting, refusing requests without TLS', () => {
    const bucket = template.findResources('AWS::S3::Bucket')[filesBucketId];
    expect(bucket?.Properties).toEqual(
      expect.objectContaining({
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      }),
    );
    expect(bucket?.Properties.WebsiteConfiguration).toBeUndefined();
    expect(bucket?.DeletionPolicy).toBe('Delete');
  });

  it('lets only CloudFront read the files, and only for this distribution (origin access control)', () => {
    const [, policy] = resourceOfType(
      template,
      'AWS::S3::BucketPolicy',
      (_, resource) => refId(resource.Properties.Bucket) === filesBucketId,
    );
    const statements = policy.Properties.PolicyDocument.Statement as Statement[];
    expect(statements.filter(deniesInsecureTransport)).toHaveLength(1);
    const reads = statements.filter(
      (s) => s.Effect === 'Allow' && asArray(s.Action).some((action) => /^s3:(GetObject|\*)/.test(action)),
    );
    expect(reads).toEqual([
      expect.objectContaining({
        Action: 's3:GetObject',
        Principal: { Service: 'cloudfront.amazonaws.com' },
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [filesBucketId, 'Arn'] }, '/*']] },
      }),
    ]);
    expect(text(reads[0]?.Condition?.StringEquals?.['AWS:SourceArn'])).toBe(
      `arn:aws:cloudfront::123456789012:distribution/{${distributionId}}`,
    );
    // The other allowed principal is the auto-delete provider, which may only list and delete (the bucket goes with the stack).
    for (const statement of statements.filter((s) => s.Effect === 'Allow' && !reads.includes(s))) {
      expect(
        asArray(statement.Action).every((action) =>
          /^s3:(DeleteObject\*|GetBucket\*|List\*|PutBucketPolicy)$/.test(action),
        ),
      ).toBe(true);
    }
    const [oacId, oac] = onlyResource(template, 'AWS::CloudFront::OriginAccessControl');
    expect(oac.Properties.OriginAccessControlConfig).toEqual(
      expect.objectContaining({
        OriginAccessControlOriginType: 's3',
        SigningBehavior: 'always',
        SigningProtocol: 'sigv4',
      }),
    );
    const [, distribution] = onlyResource(template, 'AWS::CloudFront::Distribution');
    expect(distribution.Properties.DistributionConfig.Origins).toEqual([
      expect.objectContaining({
        OriginAccessControlId: { 'Fn::GetAtt': [oacId, 'Id'] },
        S3OriginConfig: { OriginAccessIdentity: '' },
      }),
    ]);
  });

  it('serves HTTPS only (HTTP redirects), over HTTP/2 and HTTP/3, GET and HEAD only, with access logs', () => {
    const [, distribution] = onlyResource(template, 'AWS::CloudFront::Distribution');
    const config = distribution.Properties.DistributionConfig;
    for (const behavior of [config.DefaultCacheBehavior, ...asArray(config.CacheBehaviors)]) {
      expect(behavior).toEqual(
        expect.objectContaining({ ViewerProtocolPolicy: 'redirect-to-https', AllowedMethods: ['GET', 'HEAD'] }),
      );
    }
    expect(config.HttpVersion).toBe('http2and3');
    const logBucketId = refId(config.Logging?.Bucket) as string;
    const logBucket = template.findResources('AWS::S3::Bucket')[logBucketId];
    expect(logBucket?.Properties).toEqual(
      expect.objectContaining({
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        LifecycleConfiguration: { Rules: [{ ExpirationInDays: synth.config.logRetentionDays, Status: 'Enabled' }] },
      }),
    );
    expect(template.findResources('AWS::S3::Bucket')[filesBucketId]?.Properties.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: logBucketId },
      LogFilePrefix: 's3/',
    });
    expect(logBucket?.DeletionPolicy).toBe(synth.config.retainData ? 'Retain' : 'Delete');
  });

  it('sends the security headers on every answer: a CSP without inline code or eval that forbids framing, HSTS for two years, nosniff, no referrer, no framing', () => {
    const [policyId, policy] = onlyResource(template, 'AWS::CloudFront::ResponseHeadersPolicy');
    const [, distribution] = onlyResource(template, 'AWS::CloudFront::Distribution');
    expect(distribution.Properties.DistributionConfig.DefaultCacheBehavior.ResponseHeadersPolicyId).toEqual({
      Ref: policyId,
    });
    const security = policy.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig;
    expect(security).toEqual({
      ContentSecurityPolicy: { ContentSecurityPolicy: expect.anything(), Override: true },
      StrictTransportSecurity: {
        AccessControlMaxAgeSec: HSTS_MAX_AGE.toSeconds(),
        IncludeSubdomains: true,
        Override: true,
      },
      ContentTypeOptions: { Override: true },
      ReferrerPolicy: { ReferrerPolicy: 'no-referrer', Override: true },
      FrameOptions: { FrameOption: 'DENY', Override: true },
    });
    expect(HSTS_MAX_AGE.toDays()).toBe(730);
    const csp = text(security.ContentSecurityPolicy.ContentSecurityPolicy);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval/);
    expect(csp).toContain("frame-ancestors 'none'");
    // What the deploy's smoke test asks of the page's headers holds for these.
    const headers = new Headers({
      'content-security-policy': csp,
      'strict-transport-security': `max-age=${security.StrictTransportSecurity.AccessControlMaxAgeSec}; includeSubDomains`,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
    expect(securityHeaderProblems(headers)).toEqual([]);
  });

  /** The CSP's directives, with the template's references rendered as placeholders, or, with `concrete`, as values of the kind AWS fills in. */
  const cspDirectives = (concrete: boolean) => {
    const [, policy] = onlyResource(template, 'AWS::CloudFront::ResponseHeadersPolicy');
    const csp = text(
      resolveImports(
        synth.statefulTemplate,
        policy.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy,
      ),
      concrete,
    );
    return new Map(
      csp
        .split(';')
        .map((part) => part.trim().split(/\s+/))
        .map(([name, ...sources]) => [name as string, sources]),
    );
  };

  it("names in connect-src exactly its own origin, this stage's API and its identity provider, with no wildcard", () => {
    const [apiId] = onlyResource(template, 'AWS::ApiGatewayV2::Api');
    const identityProvider = poolStages.includes(stage)
      ? [
          'https://cognito-idp.eu-west-1.amazonaws.com',
          `https://{${onlyResource(synth.statefulTemplate, 'AWS::Cognito::UserPoolDomain')[0]}}.auth.eu-west-1.amazoncognito.com`,
        ]
      : [
          new URL(synth.config.jwt?.issuer ?? '').origin,
          ...(synth.config.adminUi ? (synth.config.adminUi.connectOrigins ?? []) : []),
        ];
    const connect = cspDirectives(false).get('connect-src') ?? [];
    expect(connect).toEqual(["'self'", `{${apiId}.ApiEndpoint}`, ...identityProvider]);
    expect(connect.filter((source) => source.includes('*'))).toEqual([]);
  });

  it('lets the page call the API and the identity provider, and no other host (CSP connect-src)', () => {
    const directives = cspDirectives(true);
    const page = new URL('https://d111111abcdef8.cloudfront.net/admin/');
    const allows = (url: string) => cspAllows(directives, 'connect-src', new URL(url), page);
    expect(allows('https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/orgs')).toBe(true);
    expect(allows('https://attacker.example.com/collect')).toBe(false);
    // Another API of the same account and region, and one of another region.
    expect(allows('https://f6g7h8i9j0.execute-api.eu-west-1.amazonaws.com/orgs')).toBe(false);
    expect(allows('https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/orgs')).toBe(false);
    if (poolStages.includes(stage)) {
      expect(allows('https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc/.well-known/openid-configuration')).toBe(
        true,
      );
    } else {
      expect(allows(`${new URL(synth.config.jwt?.issuer ?? '').origin}/.well-known/openid-configuration`)).toBe(true);
    }
  });

  it('redirects / and /admin to /admin/ and serves /admin/ as /admin/index.html (the viewer-request function, run)', () => {
    const [functionId, fn] = onlyResource(template, 'AWS::CloudFront::Function');
    expect(fn.Properties.FunctionConfig.Runtime).toBe('cloudfront-js-2.0');
    const [, distribution] = onlyResource(template, 'AWS::CloudFront::Distribution');
    expect(distribution.Properties.DistributionConfig.DefaultCacheBehavior.FunctionAssociations).toEqual([
      { EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [functionId, 'FunctionARN'] } },
    ]);
    const handler = vm.runInNewContext(`${fn.Properties.FunctionCode as string}\nhandler;`, {}) as (
      event: unknown,
    ) => Record<string, unknown>;
    const event = (uri: string) => ({
      version: '1.0',
      context: { eventType: 'viewer-request' },
      viewer: { ip: '192.0.2.1' },
      request: { method: 'GET', uri, querystring: {}, headers: {}, cookies: {} },
    });
    for (const uri of ['/', '/admin']) {
      expect(handler(event(uri))).toEqual({
        statusCode: 302,
        statusDescription: 'Found',
        headers: { location: { value: '/admin/' }, 'cache-control': { value: 'no-cache' } },
      });
    }
    expect(handler(event('/admin/'))).toEqual(expect.objectContaining({ uri: '/admin/index.html', method: 'GET' }));
    for (const uri of ['/admin/index.html', '/admin/config.json', '/admin/assets/main-ABCDEFGH.js', '/other']) {
      expect(handler(event(uri))).toEqual(expect.objectContaining({ uri }));
    }
  });

  it('deploys the AWS build under admin/: hashed assets cached for a year, then the page and its settings revalidated on every load', () => {
    const deployments = Object.entries(template.findResources('Custom::CDKBucketDeployment'));
    expect(deployments).toHaveLength(2);
    const [assetsId, assets] = deployments.find(([, d]) => d.Properties.Prune === true) as [string, Resource];
    const [, page] = deployments.find(([, d]) => d.Properties.Prune === false) as [string, Resource];
    for (const deployment of [assets, page]) {
      expect(deployment.Properties).toEqual(
        expect.objectContaining({
          DestinationBucketName: { Ref: filesBucketId },
          DestinationBucketKeyPrefix: 'admin/',
        }),
      );
    }
    expect(assets.Properties).toEqual(
      expect.objectContaining({
        Exclude: ['index.html', 'config.json'],
        SystemMetadata: { 'cache-control': ASSET_CACHE_CONTROL },
      }),
    );
    expect(page.Properties).toEqual(
      expect.objectContaining({
        Exclude: ['*'],
        Include: ['index.html', 'config.json'],
        SystemMetadata: { 'cache-control': PAGE_CACHE_CONTROL },
      }),
    );
    expect(asArray(page.DependsOn)).toContain(assetsId);
    expect(ASSET_CACHE_CONTROL).toMatch(/max-age=31536000/);
    expect(PAGE_CACHE_CONTROL).toBe('no-cache');

    // The build: index.html naming its hashed script and style sheet, both present.
    const buildKey = String(asArray(assets.Properties.SourceObjectKeys)[0]).replace(/\.zip$/, '');
    const buildDir = path.join(synth.assembly.directory, `asset.${buildKey}`);
    const files = readdirSync(buildDir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => path.relative(buildDir, path.join(entry.parentPath, entry.name)));
    const hashed = files.filter((file) => /^assets\/main-[A-Z0-9]{8}\.(js|css)$/.test(file));
    expect(hashed).toHaveLength(2);
    expect(files.sort()).toEqual(['index.html', ...hashed].sort());
    const html = readFileSync(path.join(buildDir, 'index.html'), 'utf8');
    for (const file of hashed) expect(html).toContain(`"${file}"`);
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(asArray(page.Properties.SourceObjectKeys)[0]).toBe(`${buildKey}.zip`);
  });

  it("deploys with a role of its own: no managed policy, its own log group, reading the CDK assets bucket and writing only the UI's bucket", () => {
    const [, deployment] = Object.entries(template.findResources('Custom::CDKBucketDeployment'))[0] as [
      string,
      Resource,
    ];
    const handlerId = refId(deployment.Properties.ServiceToken) as string;
    const handler = template.findResources('AWS::Lambda::Function')[handlerId];
    const roleId = refId(handler?.Properties.Role) as string;
    const role = template.findResources('AWS::IAM::Role')[roleId];
    expect(role?.Properties.ManagedPolicyArns).toBeUndefined();
    const logGroupId = refId(handler?.Properties.LoggingConfig?.LogGroup) as string;
    expect(template.findResources('AWS::Logs::LogGroup')[logGroupId]?.Properties.RetentionInDays).toBe(
      synth.config.logRetentionDays,
    );
    const statements = roleStatements(template, roleId).filter((s) => s.Effect === 'Allow');
    const on = (pattern: RegExp) =>
      statements.filter((s) => asArray(s.Resource).some((resource) => pattern.test(JSON.stringify(resource))));
    const writes = statements.filter((s) => asArray(s.Action).some((action) => /^s3:(Put|Delete|Abort)/.test(action)));
    expect(writes.length).toBeGreaterThan(0);
    for (const statement of writes) {
      expect(asArray(statement.Resource).map((resource) => JSON.stringify(resource))).toEqual([
        JSON.stringify({ 'Fn::GetAtt': [filesBucketId, 'Arn'] }),
        JSON.stringify({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [filesBucketId, 'Arn'] }, '/*']] }),
      ]);
    }
    const reads = on(/cdk-hnb659fds-assets-/);
    expect(reads.flatMap((s) => asArray(s.Action)).sort()).toEqual(['s3:GetBucket*', 's3:GetObject*', 's3:List*']);
    expect(statements.filter((s) => !writes.includes(s) && !reads.includes(s))).toEqual([
      expect.objectContaining({
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
      }),
    ]);
  });

  it("writes admin/config.json: valid settings naming this stage's API, issuer, UI client and scope", () => {
    const [, page] = Object.entries(template.findResources('Custom::CDKBucketDeployment')).find(
      ([, d]) => d.Properties.Prune === false,
    ) as [string, Resource];
    const keys = asArray(page.Properties.SourceObjectKeys);
    const markers = asArray<Record<string, unknown>>(page.Properties.SourceMarkers);
    const settingsIndex = keys.findIndex((key) => {
      try {
        readFileSync(path.join(synth.assembly.directory, `asset.${String(key).replace(/\.zip$/, '')}`, 'config.json'));
        return true;
      } catch {
        return false;
      }
    });
    expect(settingsIndex).toBeGreaterThan(-1);
    const file = readFileSync(
      path.join(synth.assembly.directory, `asset.${String(keys[settingsIndex]).replace(/\.zip$/, '')}`, 'config.json'),
      'utf8',
    );
    const render = (concrete: boolean) =>
      Object.entries(markers[settingsIndex] ?? {}).reduce(
        (raw, [marker, value]) => raw.split(marker).join(text(resolveImports(synth.statefulTemplate, value), concrete)),
        file,
      );
    const settings = JSON.parse(render(false)) as {
      api_url: string;
      auth: { kind: string; authority: string; client_id: string; scope: string; logout_url?: string };
    };

    const [apiId] = onlyResource(template, 'AWS::ApiGatewayV2::Api');
    expect(settings.api_url).toBe(`{${apiId}.ApiEndpoint}`);
    expect(settings.auth.kind).toBe('oidc');
    const [, authorizer] = onlyResource(template, 'AWS::ApiGatewayV2::Authorizer');
    expect(settings.auth.authority).toBe(
      text(resolveImports(synth.statefulTemplate, authorizer.Properties.JwtConfiguration.Issuer)),
    );
    if (poolStages.includes(stage)) {
      const [clientId, client] = onlyResource(template, 'AWS::Cognito::UserPoolClient');
      expect(settings.auth.client_id).toBe(`{${clientId}}`);
      expect(settings.auth.scope.split(' ').sort()).toEqual(
        [...(client.Properties.AllowedOAuthScopes as string[])].sort(),
      );
      const [poolDomainId] = onlyResource(synth.statefulTemplate, 'AWS::Cognito::UserPoolDomain');
      expect(settings.auth.logout_url).toBe(
        `https://{${poolDomainId}}.auth.eu-west-1.amazoncognito.com/logout?client_id={${clientId}}&logout_uri=https%3A%2F%2F${domain}%2Fadmin%2F`,
      );
    } else {
      const adminUi = (stages[stage] as { adminUi: { clientId: string } }).adminUi;
      expect(settings.auth.client_id).toBe(adminUi.clientId);
      expect(settings.auth.scope.split(' ')).toContain('openid');
    }
    // With the kind of values AWS fills in, the UI's own schema accepts the file.
    const parsed = uiSettingsSchema.safeParse(JSON.parse(render(true)));
    expect(parsed.error?.issues ?? []).toEqual([]);
    expect(parsed.data?.api_url).toBe('https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com');
  });

  it("lets the UI's origin call the API (CORS), besides the stage's corsAllowOrigins: set at deploy, since the distribution depends on the API", () => {
    const [apiId, api] = onlyResource(template, 'AWS::ApiGatewayV2::Api');
    const cors = api.Properties.CorsConfiguration;
    // The API's own template names only the stage's origins: naming the distribution there would close a cycle.
    expect(cors.AllowOrigins).toEqual(synth.config.corsAllowOrigins);
    expect(cors.AllowHeaders).toEqual(CORS.allowHeaders);
    expect(CORS.allowHeaders).toEqual(['authorization', 'content-type', 'if-match', 'if-none-match']);
    expect(cors.ExposeHeaders).toEqual(['etag']);
    // The distribution depends on the API (its CSP names it), so the API must not depend on the distribution:
    // CloudFormation refuses a cycle (and so does Template.fromJSON, which read this template).
    expect(JSON.stringify(api)).not.toContain(distributionId);

    const [, custom] = onlyResource(template, 'Custom::ApiCors');
    const call = (name: 'Create' | 'Update' | 'Delete') =>
      JSON.parse(text(custom.Properties[name])) as { parameters: Record<string, unknown> } & Record<string, unknown>;
    const parameters = { ApiId: `{${apiId}}`, Name: api.Properties.Name, Description: api.Properties.Description };
    expect(call('Create')).toEqual({
      service: 'ApiGatewayV2',
      action: 'UpdateApi',
      parameters: {
        ...parameters,
        CorsConfiguration: { ...cors, AllowOrigins: [...synth.config.corsAllowOrigins, `https://${domain}`] },
      },
      physicalResourceId: { id: `{${apiId}}` },
    });
    expect(call('Update')).toEqual(call('Create'));
    expect(custom.Properties.InstallLatestAwsSdk).toBe(false);
    // It sets every property the template sets on the API but the protocol (fixed) and the tags (another call),
    // so that whenever CloudFormation updates the API, the custom resource's call changes too and runs after it.
    expect(
      Object.keys(api.Properties)
        .filter((name) => !['ProtocolType', 'Tags'].includes(name))
        .sort(),
    ).toEqual(
      Object.keys(call('Update').parameters)
        .filter((name) => name !== 'ApiId')
        .sort(),
    );
    // Its removal puts the template's CORS back.
    expect(call('Delete')).toEqual(
      synth.config.corsAllowOrigins.length > 0
        ? {
            service: 'ApiGatewayV2',
            action: 'UpdateApi',
            parameters: { ...parameters, CorsConfiguration: cors },
            ignoreErrorCodesMatching: 'NotFoundException',
          }
        : {
            service: 'ApiGatewayV2',
            action: 'DeleteCorsConfiguration',
            parameters: { ApiId: `{${apiId}}` },
            ignoreErrorCodesMatching: 'NotFoundException',
          },
    );

    // Its function may change this API and nothing else, besides writing its own log group.
    const handlerId = refId(custom.Properties.ServiceToken) as string;
    const handler = template.findResources('AWS::Lambda::Function')[handlerId];
    const roleId = refId(handler?.Properties.Role) as string;
    expect(template.findResources('AWS::IAM::Role')[roleId]?.Properties.ManagedPolicyArns).toBeUndefined();
    const logGroupId = refId(handler?.Properties.LoggingConfig?.LogGroup) as string;
    expect(template.findResources('AWS::Logs::LogGroup')[logGroupId]?.Properties.RetentionInDays).toBe(
      synth.config.logRetentionDays,
    );
    const grants = roleStatements(template, roleId)
      .filter((s) => s.Effect === 'Allow')
      .flatMap((s) => asArray(s.Action).map((action) => `${action} ${text(s.Resource)}`))
      .sort();
    const apiArn = `arn:aws:apigateway:eu-west-1::/apis/{${apiId}}`;
    expect(grants).toEqual(
      [
        `apigateway:PATCH ${apiArn}`,
        ...(synth.config.corsAllowOrigins.length > 0 ? [] : [`apigateway:DELETE ${apiArn}/cors`]),
        `logs:CreateLogStream {${logGroupId}.Arn}`,
        `logs:PutLogEvents {${logGroupId}.Arn}`,
      ].sort(),
    );
  });

  it('outputs the UI URL, https://<distribution domain>/admin/', () => {
    const outputs = Object.values(template.findOutputs('*')).filter((output) => output.Description === 'The admin UI');
    expect(outputs.map((output) => text(output.Value))).toEqual([`https://${domain}/admin/`]);
    expect(Object.keys(template.findOutputs('*')).filter((key) => key.includes('AdminUiUrl'))).toHaveLength(1);
  });
});

describe.each(poolStages)('sign-in to the admin UI of stage %s (dev user pool)', (stage) => {
  it('has a public client allowed only the authorization code grant, redirecting only to the UI, in the API audience', () => {
    const { statelessTemplate: template, statefulTemplate } = synths[stage] as SynthesizedStage;
    const [distributionId] = onlyResource(template, 'AWS::CloudFront::Distribution');
    const [clientId, client] = onlyResource(template, 'AWS::Cognito::UserPoolClient');
    const uiUrl = `https://{${distributionId}.DomainName}/admin/`;
    expect(client.Properties).toEqual(
      expect.objectContaining({
        GenerateSecret: false,
        AllowedOAuthFlows: ['code'],
        AllowedOAuthFlowsUserPoolClient: true,
        AllowedOAuthScopes: ['openid', 'email', 'feature-flags/admin'],
        SupportedIdentityProviders: ['COGNITO'],
        PreventUserExistenceErrors: 'ENABLED',
        EnableTokenRevocation: true,
      }),
    );
    expect(client.Properties.CallbackURLs.map((value: unknown) => text(value))).toEqual([uiUrl]);
    expect(client.Properties.LogoutURLs.map((value: unknown) => text(value))).toEqual([uiUrl]);
    const [poolId] = onlyResource(statefulTemplate, 'AWS::Cognito::UserPool');
    expect(text(resolveImports(statefulTemplate, client.Properties.UserPoolId))).toBe(`{${poolId}}`);

    const [, authorizer] = onlyResource(template, 'AWS::ApiGatewayV2::Authorizer');
    expect(authorizer.Properties.JwtConfiguration.Audience).toContainEqual({ Ref: clientId });
    // Managed login (it walks new users through their password and authenticator-app setup), in Cognito's style for this client.
    const [, branding] = onlyResource(template, 'AWS::Cognito::ManagedLoginBranding');
    expect(branding.Properties).toEqual(
      expect.objectContaining({ ClientId: { Ref: clientId }, UseCognitoProvidedValues: true }),
    );
    const [, poolDomain] = onlyResource(statefulTemplate, 'AWS::Cognito::UserPoolDomain');
    expect(poolDomain.Properties.ManagedLoginVersion).toBe(2);
  });
});

describe.each(STAGE_NAMES.filter((name) => !poolStages.includes(name)))(
  'sign-in to the admin UI of stage %s (own identity provider)',
  (stage) => {
    it('creates no client: the API audience is exactly the configured one', () => {
      const { statelessTemplate: template, config } = synths[stage] as SynthesizedStage;
      expect(Object.keys(template.findResources('AWS::Cognito::UserPoolClient'))).toEqual([]);
      const [, authorizer] = onlyResource(template, 'AWS::ApiGatewayV2::Authorizer');
      expect(authorizer.Properties.JwtConfiguration.Audience).toEqual(config.jwt?.audience);
    });
  },
);

describe('a stage with adminUi: false', () => {
  it('has no distribution, bucket, deployment or UI output, and CORS admits only corsAllowOrigins', () => {
    const base = STAGE_NAMES.find((name) => !poolStages.includes(name)) as string;
    const changed = { ...cdkJsonStages(), [base]: { ...stages[base], adminUi: false } };
    const { statelessTemplate: template, config } = synthStage(base, changed, { bundling: false });
    for (const type of [
      'AWS::CloudFront::Distribution',
      'AWS::S3::Bucket',
      'Custom::CDKBucketDeployment',
      'AWS::CloudFront::ResponseHeadersPolicy',
      'Custom::ApiCors',
    ]) {
      expect({ type, found: Object.keys(template.findResources(type)) }).toEqual({ type, found: [] });
    }
    expect(Object.keys(template.findOutputs('*')).filter((key) => key.includes('AdminUi'))).toEqual([]);
    const [, api] = onlyResource(template, 'AWS::ApiGatewayV2::Api');
    expect(api.Properties.CorsConfiguration.AllowOrigins).toEqual(config.corsAllowOrigins);
  }, 180_000);
});
