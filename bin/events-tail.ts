import path from 'node:path';
import { parseArgs } from 'node:util';
import { EVENT_LOG_FILE, tailEventLog } from '../lib/local/event-log.js';
import { localSettings } from '../lib/local/stack.js';

const USAGE = 'Usage: npm run -s events:tail [-- --json] [--no-follow]';

// `events:tail | head` closes the pipe early: that ends the command, quietly.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

try {
  const { values } = parseArgs({
    options: { json: { type: 'boolean', default: false }, 'no-follow': { type: 'boolean', default: false } },
    strict: true,
  });
  const file = path.join(localSettings().dataDir, EVENT_LOG_FILE);
  const stop = new AbortController();
  process.on('SIGINT', () => stop.abort());
  process.on('SIGTERM', () => stop.abort());
  if (!values.json)
    process.stderr.write(
      `Events put on the local bus (${file})${values['no-follow'] ? '' : ', following; Ctrl+C to stop'}:\n`,
    );
  await tailEventLog(file, {
    follow: !values['no-follow'],
    json: values.json,
    write: (line) => process.stdout.write(`${line}\n`),
    signal: stop.signal,
  });
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
  process.exit(2);
}
