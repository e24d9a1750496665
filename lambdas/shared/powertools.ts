import { Logger } from '@aws-lambda-powertools/logger';
import { Tracer } from '@aws-lambda-powertools/tracer';

const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? 'org-feature-flags';

/** The one logger of every function; level and service name come from POWERTOOLS_* variables. */
export const logger = new Logger({ serviceName });

/** The one tracer of every function: X-Ray segments in Lambda, a no-op anywhere else. */
export const tracer = new Tracer({ serviceName });
