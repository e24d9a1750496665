import { parseSmokeArgs, USAGE } from '../lib/smoke/cli.js';
import { runSmoke } from '../lib/smoke/run.js';

const parsed = parseSmokeArgs(process.argv.slice(2), process.env);
if (parsed.kind === 'help') {
  process.stdout.write(`${USAGE}\n`);
} else if (parsed.kind === 'error') {
  process.stderr.write(`smoke: ${parsed.message}\n\n${USAGE}\n`);
  process.exitCode = 2;
} else {
  try {
    const report = await runSmoke({ ...parsed.command, log: (line) => process.stdout.write(`${line}\n`) });
    process.exitCode = report.ok ? 0 : 1;
  } catch (error) {
    // runSmoke reports failures as results; this is only a last resort, still without a stack trace.
    process.stderr.write(`smoke: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
