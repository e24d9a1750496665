import { localSettings, startLocalStack } from '../lib/local/stack.js';

const settings = localSettings(process.env, process.argv.slice(2));
const log = (line: string) => process.stderr.write(`${line}\n`);

try {
  const stack = await startLocalStack(settings, log);
  const storage = settings.inMemory ? 'in memory, gone when stopped' : `data in ${settings.dataDir}/dynamodb`;
  process.stdout.write(
    [
      '',
      'org-feature-flags is running locally',
      `  Admin UI      ${stack.adminUrl}   (sign in with the local sign-in: admin, service or org)`,
      `  API           ${stack.url}   (GET /health needs no token)`,
      `  EventBridge   ${stack.url}   (PutEvents: new EventBridgeClient({ endpoint: '${stack.url}' }))`,
      `  DynamoDB      ${stack.dynamoDbEndpoint}   (table ${settings.tableName}, ${storage})`,
      `  Dead letters  ${stack.deadLetterFile}`,
      `  Events        ${stack.eventLogFile}   (npm run -s events:tail)`,
      '',
      '  Token:  npm run -s token -- --role admin        (or --role service, or --role org --org ORG_ID)',
      `  Try:    curl -H "Authorization: Bearer $(npm run -s token -- --role admin)" ${stack.url}/feature-flags`,
      '',
      'Press Ctrl+C to stop.',
      '',
    ].join('\n'),
  );
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} catch (error) {
  process.stderr.write(`Could not start the local stack: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
