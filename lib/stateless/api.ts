import { CfnOutput, Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpNoneAuthorizer,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
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
  /** Origins CORS admits: the stage's `corsAllowOrigins` and the admin UI's; empty for no CORS. */
  readonly corsAllowOrigins: readonly string[];
}

/**
 * The HTTP API: every declared route, each behind the JWT authorizer with the route's scopes
 * (only routes that declare no scope are open), stage throttling, CORS for the admin UI and
 * JSON access logs.
 */
export class FlagApi extends Construct {
  readonly api: HttpApi;

  constructor(scope: Construct, id: string, props: FlagApiProps) {
    super(scope, id);
    const { config } = props;
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
}
