import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import {
  AssetHashType,
  CfnOutput,
  DockerImage,
  Duration,
  Lazy,
  RemovalPolicy,
  Stack,
  Validations,
  type CfnElement,
  type ILocalBundling,
} from 'aws-cdk-lib';
import {
  AllowedMethods,
  CachedMethods,
  CachePolicy,
  Distribution,
  Function as CloudFrontFunction,
  FunctionCode,
  FunctionEventType,
  FunctionRuntime,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { BucketDeployment, CacheControl, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import type { UiSettings } from '../../ui/src/settings.js';
import type { StageConfig } from '../config/stage-config.js';
import { PROJECT_ROOT } from '../project.js';

/** Where the admin UI is served, and the key prefix of its objects in the bucket. */
export const ADMIN_PATH = '/admin/';
const ADMIN_PREFIX = ADMIN_PATH.slice(1);

/** Browser caching: hashed assets for a year (their names change with their content), the page and its settings revalidated on every load. */
export const ASSET_CACHE_CONTROL = 'public, max-age=31536000, immutable';
export const PAGE_CACHE_CONTROL = 'no-cache';

/** HSTS: two years, subdomains included. */
export const HSTS_MAX_AGE = Duration.days(730);

/**
 * The viewer-request function (CloudFront Functions, JavaScript runtime 2.0): `/` and `/admin`
 * redirect to `/admin/`, and `/admin/` is served as `/admin/index.html` (S3 has no index
 * documents behind origin access control). Everything else goes to the bucket as asked.
 */
export const PATHS_FUNCTION_CODE = `function handler(event) {
  var request = event.request;
  if (request.uri === '/' || request.uri === '/admin') {
    return {
      statusCode: 302,
      statusDescription: 'Found',
      headers: { location: { value: '${ADMIN_PATH}' }, 'cache-control': { value: '${PAGE_CACHE_CONTROL}' } },
    };
  }
  if (request.uri === '${ADMIN_PATH}') request.uri = '${ADMIN_PATH}index.html';
  return request;
}
`;

/**
 * The page's Content-Security-Policy, as the contract and the local stack have it: only its own
 * scripts and styles (no inline code, no eval), and requests only to its own origin and
 * `connectSources` (the API, the identity provider).
 */
export function contentSecurityPolicy(connectSources: readonly string[]): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    ['connect-src', "'self'", ...connectSources].join(' '),
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "object-src 'none'",
  ].join('; ');
}

/** Props of the {@link AdminUi}. */
export interface AdminUiProps {
  readonly config: StageConfig;
  /**
   * Sources the page may call besides its own origin and the API its settings name (CSP
   * `connect-src`): the identity provider's origins.
   */
  readonly connectSources: readonly string[];
}

/**
 * The admin UI in AWS: its build in a private bucket under `admin/`, served by CloudFront through
 * origin access control, HTTPS only, with the security headers on every answer and access logs.
 * {@link publish} writes the page, its assets and its runtime settings, which name the API; the
 * CSP's `connect-src` names that same API.
 */
export class AdminUi extends Construct {
  readonly bucket: Bucket;
  readonly logBucket: Bucket;
  readonly distribution: Distribution;
  readonly responseHeadersPolicy: ResponseHeadersPolicy;
  /** `https://<distribution domain>`, for CORS. */
  readonly origin: string;
  /** `https://<distribution domain>/admin/`: the UI, its sign-in redirect and sign-out return URL. */
  readonly url: string;
  private readonly config: StageConfig;
  /** The API the published settings name, for the CSP. */
  private apiUrl?: string;

  constructor(scope: Construct, id: string, props: AdminUiProps) {
    super(scope, id);
    const { config } = props;
    this.config = config;
    const retain = config.retainData;

    // Access logs of the distribution (CloudFront standard logging writes with object ACLs, hence
    // OBJECT_WRITER) and of the UI bucket, expired after the stage's log retention.
    this.logBucket = new Bucket(this, 'AccessLogs', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.OBJECT_WRITER,
      enforceSSL: true,
      lifecycleRules: [{ expiration: Duration.days(config.logRetentionDays) }],
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      autoDeleteObjects: !retain,
    });
    Validations.of(this.logBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This bucket is itself the access-log bucket of the admin UI (its distribution and its bucket); logging it would log the logging.',
    });

    // A build artifact: every deploy writes it again, so it goes with the stack in every stage.
    this.bucket = new Bucket(this, 'Files', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: 's3/',
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: true,
    });

    this.responseHeadersPolicy = new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: `org-feature-flags admin UI (${config.stage}): CSP, HSTS, nosniff, no referrer, no framing`,
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          contentSecurityPolicy: Lazy.string({
            produce: () => contentSecurityPolicy([...(this.apiUrl ? [this.apiUrl] : []), ...props.connectSources]),
          }),
          override: true,
        },
        strictTransportSecurity: { accessControlMaxAge: HSTS_MAX_AGE, includeSubdomains: true, override: true },
        contentTypeOptions: { override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
      },
    });

    const paths = new CloudFrontFunction(this, 'Paths', {
      code: FunctionCode.fromInline(PATHS_FUNCTION_CODE),
      runtime: FunctionRuntime.JS_2_0,
      comment: 'Admin UI: / and /admin redirect to /admin/, which serves /admin/index.html',
    });

    this.distribution = new Distribution(this, 'Distribution', {
      comment: `org-feature-flags admin UI (${config.stage})`,
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachedMethods: CachedMethods.CACHE_GET_HEAD,
        // Honours the objects' Cache-Control: a minimum of one second at the edge for the page and its settings.
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: this.responseHeadersPolicy,
        functionAssociations: [{ function: paths, eventType: FunctionEventType.VIEWER_REQUEST }],
        compress: true,
      },
      httpVersion: HttpVersion.HTTP2_AND_3,
      logBucket: this.logBucket,
      logFilePrefix: 'cloudfront/',
    });
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason:
          'Platform staff work from anywhere; the sign-in at the identity provider, not the country, decides who gets in. The distribution serves only the static page.',
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          'The distribution serves only the static page, its assets and its settings (no data, no writes, GET and HEAD only); the data is behind the ' +
          "API's JWT authorizer and throttling. A web ACL for CloudFront lives in us-east-1 and costs a monthly fee per ACL and rule: add one with " +
          'a custom domain if an organisation-wide WAF policy requires it.',
      },
      {
        id: 'AwsSolutions-CFR4',
        reason:
          "The UI is served on the distribution's own *.cloudfront.net name, whose certificate CloudFront provides with a fixed security policy " +
          '(TLSv1) that cannot be chosen; current browsers have disabled TLS 1.0 and 1.1 and connect with TLS 1.2 or 1.3. Choosing TLSv1.2_2021 ' +
          'needs a custom domain with an ACM certificate in us-east-1.',
      },
    );

    this.origin = `https://${this.distribution.distributionDomainName}`;
    this.url = `${this.origin}${ADMIN_PATH}`;
    new CfnOutput(this, 'AdminUiUrl', { value: this.url, description: 'The admin UI' });
  }

  /**
   * Writes the UI to the bucket: the build's assets (cached for a year), then `index.html` and
   * `config.json` with `settings` (both revalidated on every load). The UI is built at synth by
   * `ui/build.ts --mode aws` (no Docker), which fails the synth when the bundle is over budget.
   */
  publish(settings: UiSettings): void {
    if (this.apiUrl) throw new Error('The admin UI is published once');
    this.apiUrl = settings.api_url;
    // One asset (one build) for both deployments below.
    const build = new Asset(this, 'Build', {
      path: path.join(PROJECT_ROOT, 'ui'),
      assetHashType: AssetHashType.OUTPUT,
      exclude: ['dist', 'node_modules'],
      bundling: {
        // Never pulled: the local build below always runs, or throws.
        image: DockerImage.fromRegistry('local-bundling-only'),
        local: uiBuild,
      },
    });
    const files = Source.bucket(build.bucket, build.s3ObjectKey);
    // The deployments' function (one for both): its own log group, and a role with no managed policy.
    const logGroup = new LogGroup(this, 'DeployLogs', {
      retention: this.config.logRetentionDays as RetentionDays,
      removalPolicy: this.config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    const role = new Role(this, 'DeployRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Writes the admin UI to its bucket at deploy (${this.config.stage})`,
    });
    role.addToPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    const filesArn = `<${Stack.of(this).getLogicalId(this.bucket.node.defaultChild as CfnElement)}.Arn>`;
    const grants = (ids: string[], reason: string) =>
      Validations.of(role).acknowledge(...ids.map((id) => ({ id: `AwsSolutions-IAM5[${id}]`, reason })));
    grants(
      [
        'Action::s3:GetBucket*',
        'Action::s3:GetObject*',
        'Action::s3:List*',
        'Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*',
      ],
      "aws-cdk-lib's BucketDeployment grants reading the CDK assets bucket, where the UI's build and its settings are uploaded under content-hashed keys; it reads them from there and never writes.",
    );
    grants(
      ['Action::s3:Abort*', 'Action::s3:DeleteObject*', `Resource::${filesArn}/*`],
      "aws-cdk-lib's BucketDeployment grants writing the UI's bucket: it syncs the build into admin/ (multipart uploads included) and deletes the assets a new build no longer has. The bucket holds nothing else.",
    );
    const common = {
      destinationBucket: this.bucket,
      destinationKeyPrefix: ADMIN_PREFIX,
      logGroup,
      role,
      memoryLimit: 256,
    } as const;
    const assets = new BucketDeployment(this, 'DeployAssets', {
      ...common,
      sources: [files],
      exclude: ['index.html', 'config.json'],
      cacheControl: [CacheControl.fromString(ASSET_CACHE_CONTROL)],
    });
    // The page names the assets: it replaces the old one only once they are there.
    const page = new BucketDeployment(this, 'DeployPage', {
      ...common,
      sources: [files, Source.jsonData('config.json', settings)],
      exclude: ['*'],
      include: ['index.html', 'config.json'],
      prune: false,
      cacheControl: [CacheControl.fromString(PAGE_CACHE_CONTROL)],
    });
    page.node.addDependency(assets);
    // The function both deployments share, a singleton at the stack's root.
    for (const handler of Stack.of(this).node.children.filter((child) =>
      child.node.id.startsWith('Custom::CDKBucketDeployment'),
    )) {
      Validations.of(handler).acknowledge({
        id: 'AwsSolutions-L1',
        reason:
          "aws-cdk-lib's BucketDeployment handler (Python with the AWS CLI layer): its runtime is the one aws-cdk-lib builds and tests that " +
          'handler and layer for, and moves with aws-cdk-lib upgrades.',
      });
    }
  }
}

/** The UI's build at synth: `ui/build.ts --mode aws` in a child process (bundling is synchronous), its report on stderr. */
const uiBuild: ILocalBundling = {
  tryBundle(outputDir: string): boolean {
    const tsx = createRequire(import.meta.url).resolve('tsx/cli');
    const result = spawnSync(
      process.execPath,
      [tsx, path.join(PROJECT_ROOT, 'ui', 'build.ts'), '--mode', 'aws', '--out', outputDir],
      {
        cwd: PROJECT_ROOT,
        encoding: 'utf8',
      },
    );
    if (result.status !== 0) {
      throw new Error(
        `The admin UI build failed (${result.error?.message ?? `exit ${result.status}`}):\n${result.stdout ?? ''}${result.stderr ?? ''}`,
      );
    }
    process.stderr.write(result.stdout);
    return true;
  },
};
