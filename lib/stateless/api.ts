import { Aws, CfnOutput, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  type CfnApi,
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpNoneAuthorizer,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  AwsCustomResource,
  AwsCustomResourcePolicy,
  PhysicalResourceId,
  type AwsSdkCall,
} from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { StageConfig } from '../config/stage-config.js';
import type { JwtTrust } from '../stateful/dev-user-pool.js';
import type { HandlerName } from '../service/handlers.js';
import { CORS } from '../service/cors.js';
import { ROUTES, routeKey } from '../../lambdas/http/routes.js';

/** Props of the {@link FlagApi}. */
export interface FlagApiProps {
  readonly config: StageConfig;
  /** The issuer and audiences whose tokens the JWT authorizer accepts. */
  readonly jwt: JwtTrust;
  /** The function of each declared handler that serves a route. */
  readonly functions: Readonly<Partial<Record<HandlerName, IFunction>>>;
  /** Origins the API's own CORS configuration admits (the stage's `corsAllowOrigins`); empty for no CORS. See {@link FlagApi.admitOrigin}. */
  readonly corsAllowOrigins: readonly string[];
}

/**
 * The HTTP API: every declared route, each behind the JWT authorizer with the route's scopes
 * (only routes that declare no scope are open), stage throttling, CORS for the admin UI and
 * JSON access logs.
 */
export class FlagApi extends Construct {
  readonly api: HttpApi;
  private readonly config: StageConfig;
  private readonly corsAllowOrigins: readonly string[];

  constructor(scope: Construct, id: string, props: FlagApiProps) {
    super(scope, id);
    const { config } = props;
    this.config = config;
    this.corsAllowOrigins = props.corsAllowOrigins;
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: config.logRetentionDays as RetentionDays,
      removalPolicy: config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    this.api = new HttpApi(this, 'Api', {
      description: `org-feature-flags (${config.stage})`,
      createDefaultStage: false,
      ...(props.corsAllowOrigins.length > 0
        ? {
            corsPreflight: {
              allowOrigins: [...props.corsAllowOrigins],
              allowMethods: CORS.allowMethods.map((method) => CorsHttpMethod[method]),
              allowHeaders: [...CORS.allowHeaders],
              exposeHeaders: [...CORS.exposeHeaders],
              maxAge: Duration.seconds(CORS.maxAgeSeconds),
            },
          }
        : {}),
    });
    this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: config.throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            requestTime: '$context.requestTime',
            ip: '$context.identity.sourceIp',
            method: '$context.httpMethod',
            routeKey: '$context.routeKey',
            path: '$context.path',
            protocol: '$context.protocol',
            status: '$context.status',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationLatencyMs: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
          }),
        ),
      },
    });

    const authorizer = new HttpJwtAuthorizer('JwtAuthorizer', props.jwt.issuer, { jwtAudience: props.jwt.audience });
    for (const route of ROUTES) {
      const fn = props.functions[route.handler];
      if (!fn) throw new Error(`No function for ${routeKey(route)} (${route.handler})`);
      const [created] = this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(`${route.handler}-${route.method}`, fn),
        ...(route.scopes.length > 0
          ? { authorizer, authorizationScopes: [...route.scopes] }
          : { authorizer: new HttpNoneAuthorizer() }),
      });
      if (route.scopes.length === 0 && created) {
        Validations.of(created).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: `${routeKey(route)} is declared open (${route.summary}); it returns no org data.`,
        });
      }
    }

    new CfnOutput(this, 'ApiUrl', { value: this.api.apiEndpoint, description: 'Base URL of the flag API' });
  }

  /**
   * Admits one more origin in the API's CORS, set at deploy by a custom resource rather than in the
   * API's template: the admin UI's distribution names the API in its CSP, so the API cannot also
   * name the distribution (a cycle CloudFormation refuses). Once both exist, `UpdateApi` sets the
   * API's name, description and CORS as the template has them, with `origin` added; its call
   * carries every property the template sets on the API, so that whenever CloudFormation updates
   * the API it runs again afterwards. Its removal puts the template's CORS back. Nothing to do
   * when the API admits every origin (`*`).
   */
  admitOrigin(origin: string): AwsCustomResource | undefined {
    if (this.corsAllowOrigins.includes('*')) return undefined;
    const cfnApi = this.api.node.defaultChild as CfnApi;
    const apiArn = `arn:${Aws.PARTITION}:apigateway:${Aws.REGION}::/apis/${this.api.apiId}`;
    const update = (origins: readonly string[]): AwsSdkCall => ({
      service: 'ApiGatewayV2',
      action: 'UpdateApi',
      parameters: {
        ApiId: this.api.apiId,
        Name: cfnApi.name,
        Description: cfnApi.description,
        CorsConfiguration: corsConfiguration(origins),
      },
    });
    // On removal the API may be going too (the stack is deleted): nothing left to restore then.
    const restore: AwsSdkCall = {
      ...(this.corsAllowOrigins.length > 0
        ? update(this.corsAllowOrigins)
        : { service: 'ApiGatewayV2', action: 'DeleteCorsConfiguration', parameters: { ApiId: this.api.apiId } }),
      ignoreErrorCodesMatching: 'NotFoundException',
    };

    // The custom resource's function: its own log group, and a role with no managed policy.
    const logGroup = new LogGroup(this, 'CorsLogs', {
      retention: this.config.logRetentionDays as RetentionDays,
      removalPolicy: this.config.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    const role = new Role(this, 'CorsRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Sets the API's CORS at deploy (${this.config.stage})`,
    });
    role.addToPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    const admit: AwsSdkCall = {
      ...update([...this.corsAllowOrigins, origin]),
      physicalResourceId: PhysicalResourceId.of(this.api.apiId),
    };
    return new AwsCustomResource(this, 'Cors', {
      resourceType: 'Custom::ApiCors',
      onCreate: admit,
      onUpdate: admit,
      onDelete: restore,
      policy: AwsCustomResourcePolicy.fromStatements([
        new PolicyStatement({ actions: ['apigateway:PATCH'], resources: [apiArn] }),
        ...(this.corsAllowOrigins.length > 0
          ? []
          : [new PolicyStatement({ actions: ['apigateway:DELETE'], resources: [`${apiArn}/cors`] })]),
      ]),
      role,
      logGroup,
      installLatestAwsSdk: false,
    });
  }
}

/** The API's CORS configuration for `origins`, as API Gateway's `UpdateApi` takes it: the same as the template's but for the origins. */
function corsConfiguration(origins: readonly string[]) {
  return {
    AllowOrigins: [...origins],
    AllowMethods: [...CORS.allowMethods],
    AllowHeaders: [...CORS.allowHeaders],
    ExposeHeaders: [...CORS.exposeHeaders],
    MaxAge: CORS.maxAgeSeconds,
  };
}
