import { describe, expect, it } from '@jest/globals';
import { parseFlagsArgs } from '../../../lib/flags-cli/options.js';

describe('flags:* arguments', () => {
  it('default to the local stack and a dry run of the orphan cleanup', () => {
    expect(parseFlagsArgs('orphans', [], { PORT: '3100' })).toEqual({
      kind: 'run',
      command: { kind: 'orphans', apply: false, connection: { url: 'http://localhost:3100', json: false, wait: true } },
    });
  });

  it('read options per command, and the token from FLAGS_TOKEN', () => {
    expect(
      parseFlagsArgs('sync', ['--dry-run', '--url', 'https://api.example.com'], { FLAGS_TOKEN: 't' }),
    ).toMatchObject({
      command: { kind: 'sync', dryRun: true, force: false, connection: { url: 'https://api.example.com', token: 't' } },
    });
    expect(parseFlagsArgs('report', ['--strict', '--stale-days', '45', '--registry-only'], {})).toMatchObject({
      command: { kind: 'report', strict: true, staleDays: 45, registryOnly: true },
    });
    expect(parseFlagsArgs('orphans', ['--import', 'x.jsonl', '--table', 'prod-table'], {})).toMatchObject({
      command: { kind: 'import', table: 'prod-table', endpoint: undefined },
    });
    expect(parseFlagsArgs('orphans', ['--import', 'x.jsonl'], { DYNAMODB_PORT: '8100' })).toMatchObject({
      command: { kind: 'import', table: 'org-feature-flags', endpoint: 'http://127.0.0.1:8100' },
    });
  });

  it.each([
    ['sync', ['--apply']],
    ['report', ['--stale-days', '0']],
    ['report', ['--stale-days', 'many']],
    ['orphans', ['--import', 'x', '--apply']],
    ['orphans', ['--table', 't']],
    ['sync', ['--url', 'ftp://x']],
  ] as const)('refuse %s %j', (name, args) => {
    expect(parseFlagsArgs(name, args, {})).toMatchObject({ kind: 'error', message: expect.any(String) });
  });
});
