// A long-running Node server of a consuming service (a container, an EC2 instance) that reads an
// org's flags per request and applies changes within a second, from the queue of the
// `FeatureFlagChangesQueue` construct. In a service, import from
// '@org-feature-flags/openfeature-provider' and '@org-feature-flags/openfeature-provider/sqs'.
//
// Environment: FLAGS_URL, FLAGS_TOKEN, and either FLAG_CHANGES_QUEUE_URL (in AWS) or
// FLAGS_LOCAL_EVENTS=1 (next to the project's local stack: `npm start`, then
// FLAGS_URL=http://127.0.0.1:3000 FLAGS_TOKEN=$(npm run -s token -- --role service)).
import { createServer } from 'node:http';
import { SQSClient } from '@aws-sdk/client-sqs';
import { OpenFeature } from '@openfeature/server-sdk';
import { followLocalEvents } from '../src/local-events.js';
import { OrgFeatureFlagsProvider } from '../src/provider.js';
import { pollQueue } from '../src/sqs.js';

const { FLAGS_URL, FLAGS_TOKEN, FLAG_CHANGES_QUEUE_URL, FLAGS_LOCAL_EVENTS, PORT } = process.env;
if (!FLAGS_URL || !FLAGS_TOKEN) throw new Error('FLAGS_URL and FLAGS_TOKEN must be set');

const provider = new OrgFeatureFlagsProvider({ baseUrl: FLAGS_URL, token: FLAGS_TOKEN });
await OpenFeature.setProviderAndWait(provider);
const flags = OpenFeature.getClient('reports-service');

const stop = new AbortController();
const polling = FLAG_CHANGES_QUEUE_URL
  ? pollQueue(provider, { client: new SQSClient({}), queueUrl: FLAG_CHANGES_QUEUE_URL, signal: stop.signal })
  : undefined;
if (FLAGS_LOCAL_EVENTS === '1') followLocalEvents(provider, { signal: stop.signal });

const server = createServer((request, response) => {
  // In a real service the org comes from the caller's verified token, not from a header.
  const orgId = request.headers['x-org-id'];
  if (typeof orgId !== 'string' || orgId === '') {
    response.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"x-org-id is required"}');
    return;
  }
  void Promise.all([
    flags.getBooleanValue('composer', false, { targetingKey: orgId }),
    flags.getBooleanValue('chat', false, { targetingKey: orgId }),
  ]).then(([composer, chat]) => {
    response
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ orgId, editor: composer ? 'composer' : 'textarea', chat }));
  });
});
server.listen(Number(PORT ?? 8080), () => console.log(`listening on ${PORT ?? 8080}`));

process.once('SIGTERM', () => {
  stop.abort();
  server.close();
  void Promise.resolve(polling).then(() => OpenFeature.close());
});
