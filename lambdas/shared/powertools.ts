import { Logger } from '@aws-lambda-powertools/logger';

/** The one logger of every function; level and service name come from POWERTOOLS_* variables. */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'org-feature-flags' });
