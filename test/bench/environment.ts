/**
 * The bench's environment, set before anything reads it: bench.ts imports this module first, so
 * it runs before the handlers' modules build the shared logger (which reads its level once, when
 * it is built) and before any AWS SDK client is created. The bench prints its report and progress
 * only: the handlers log errors alone (set POWERTOOLS_LOG_LEVEL=INFO to measure with their info
 * logs), and the SDK's notice about this Node version is off.
 */
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
