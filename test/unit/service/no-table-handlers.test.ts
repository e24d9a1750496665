import { spawnSync } from 'node:child_process';
import { describe, expect, it } from '@jest/globals';
import { HANDLERS, handlerEntryPath, type HandlerName } from '../../../lib/service/handlers.js';
import { PROJECT_ROOT } from '../../../lib/project.js';

const noTable = (Object.keys(HANDLERS) as HandlerName[]).filter((name) => HANDLERS[name].tableAccess === 'none');

describe('functions declared without table access', () => {
  it.each(noTable)('%s loads with no table configured, as it will be deployed', (name) => {
    const env = { ...process.env };
    delete env.TABLE_NAME;
    delete env.DYNAMODB_ENDPOINT;
    delete env.NODE_OPTIONS;
    const script = `const m = await import(${JSON.stringify(`file://${handlerEntryPath(name)}`)}); if (typeof m.handler !== 'function') process.exit(3);`;
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: PROJECT_ROOT,
      env,
      encoding: 'utf8',
    });
    expect({
      status: result.status,
      stderr: result.stderr.includes('TABLE_NAME') ? 'mentions TABLE_NAME' : '',
    }).toEqual({ status: 0, stderr: '' });
  });
});
