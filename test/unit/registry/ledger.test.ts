import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { syncLedgerFile, type LedgerCommand } from '../../../registry/ledger-file.js';
import { PROJECT_ROOT } from '../../../lib/project.js';
import { FLAGS } from '../../../registry/flags.js';
import { buildRegistry, checkRegistry, type FlagDefinition, type RetiredFlag } from '../../../registry/index.js';
import {
  checkLedger,
  renderLedger,
  retiredInLedger,
  updateLedger,
  type LedgerEntry,
} from '../../../registry/ledger-check.js';
import { LEDGER } from '../../../registry/ledger.js';
import { RETIRED } from '../../../registry/retired.js';

const TODAY = '2026-12-01';
const LEDGER_PATH = join(PROJECT_ROOT, 'registry', 'ledger.ts');

function flag(key: string, created = '2026-10-01'): FlagDefinition {
  return {
    key,
    description: `The ${key} flag.`,
    default_enabled: false,
    internal_only: false,
    owner: 'team-a',
    created,
    cleanup_after: '2027-06-30',
  };
}

function retiredKey(key: string, retired = '2026-08-01'): RetiredFlag {
  return { key, retired, reason: `Replaced; ${key} is gone.` };
}

/** A consistent registry and ledger; tests break one thing at a time. */
const FIXTURE_FLAGS: readonly FlagDefinition[] = [flag('inbox', '2026-09-01'), flag('search', '2026-10-01')];
const FIXTURE_RETIRED: readonly RetiredFlag[] = [retiredKey('old-editor')];
const FIXTURE_LEDGER: readonly LedgerEntry[] = [
  { key: 'old-editor', first_seen: '2026-08-01', retired: '2026-08-01' },
  { key: 'inbox', first_seen: '2026-09-01' },
  { key: 'search', first_seen: '2026-10-01' },
];

describe('the project ledger', () => {
  it('records every flag and retired key of the registry, with nothing vanished or reused', () => {
    expect(checkLedger(FLAGS, RETIRED, LEDGER)).toEqual([]);
  });

  it('is what `npm run registry:ledger` would write', async () => {
    expect(updateLedger(LEDGER, FLAGS, RETIRED, TODAY)).toEqual({ ledger: LEDGER, added: [], retired: [] });
    expect(await readFile(LEDGER_PATH, 'utf8')).toBe(renderLedger(LEDGER));
  });
});

describe('checkLedger', () => {
  it('accepts a ledger that matches the registry', () => {
    expect(checkLedger(FIXTURE_FLAGS, FIXTURE_RETIRED, FIXTURE_LEDGER)).toEqual([]);
  });

  describe('a key that left the registry without being retired', () => {
    const flags = FIXTURE_FLAGS.filter((entry) => entry.key !== 'search');

    it('is an error that says to move it to retired.ts', () => {
      const errors = checkLedger(flags, FIXTURE_RETIRED, FIXTURE_LEDGER);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain("'search'");
      expect(errors[0]).toMatch(/without being retired.*registry\/retired\.ts/);
    });

    it('passes once the key is retired and the ledger updated', () => {
      const retired = [...FIXTURE_RETIRED, retiredKey('search', '2026-11-15')];
      expect(checkLedger(flags, retired, FIXTURE_LEDGER)).toHaveLength(1);
      expect(checkLedger(flags, retired, updateLedger(FIXTURE_LEDGER, flags, retired, TODAY).ledger)).toEqual([]);
    });
  });

  describe('a flag missing from the ledger', () => {
    const flags = [...FIXTURE_FLAGS, flag('chat', '2026-11-02')];

    it('is an error that says to run the command', () => {
      const errors = checkLedger(flags, FIXTURE_RETIRED, FIXTURE_LEDGER);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain("'chat'");
      expect(errors[0]).toContain('npm run registry:ledger');
    });

    it('passes once the ledger is updated', () => {
      expect(
        checkLedger(flags, FIXTURE_RETIRED, updateLedger(FIXTURE_LEDGER, flags, FIXTURE_RETIRED, TODAY).ledger),
      ).toEqual([]);
    });
  });

  describe('a retired key missing from the ledger', () => {
    const retired = [...FIXTURE_RETIRED, retiredKey('older-editor', '2026-07-01')];

    it('is an error that says to run the command', () => {
      const errors = checkLedger(FIXTURE_FLAGS, retired, FIXTURE_LEDGER);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain("'older-editor'");
      expect(errors[0]).toContain('npm run registry:ledger');
    });

    it('passes once the ledger is updated', () => {
      expect(
        checkLedger(FIXTURE_FLAGS, retired, updateLedger(FIXTURE_LEDGER, FIXTURE_FLAGS, retired, TODAY).ledger),
      ).toEqual([]);
    });
  });

  describe('a retired key back in FLAGS', () => {
    it('is an error: a retired key can never come back', () => {
      const errors = checkLedger([...FIXTURE_FLAGS, flag('old-editor')], FIXTURE_RETIRED, FIXTURE_LEDGER);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain("'old-editor'");
      expect(errors[0]).toMatch(/can never come back/);
    });

    it('is also reported when the key was removed from RETIRED, with that second mistake', () => {
      const errors = checkLedger([...FIXTURE_FLAGS, flag('old-editor')], [], FIXTURE_LEDGER);
      expect(errors).toHaveLength(2);
      expect(errors.join('\n')).toMatch(/can never come back/);
      expect(errors.join('\n')).toMatch(/stay listed/);
    });

    it('passes when the flag gets a new key', () => {
      const flags = [...FIXTURE_FLAGS, flag('editor-v2')];
      expect(
        checkLedger(flags, FIXTURE_RETIRED, updateLedger(FIXTURE_LEDGER, flags, FIXTURE_RETIRED, TODAY).ledger),
      ).toEqual([]);
    });
  });

  describe('a retired key no longer in RETIRED', () => {
    it('is an error: retired keys stay listed', () => {
      const errors = checkLedger(FIXTURE_FLAGS, [], FIXTURE_LEDGER);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain("'old-editor'");
      expect(errors[0]).toMatch(/stay listed/);
    });

    it('is not fixed by running the command, only by putting the entry back', () => {
      expect(
        checkLedger(FIXTURE_FLAGS, [], updateLedger(FIXTURE_LEDGER, FIXTURE_FLAGS, [], TODAY).ledger),
      ).toHaveLength(1);
      expect(checkLedger(FIXTURE_FLAGS, FIXTURE_RETIRED, FIXTURE_LEDGER)).toEqual([]);
    });
  });

  describe('a key in RETIRED that the ledger does not mark retired', () => {
    const ledger = FIXTURE_LEDGER.map(({ retired: _retired, ...entry }) => entry);

    it('is an error that says to run the command', () => {
      const errors = checkLedger(FIXTURE_FLAGS, FIXTURE_RETIRED, ledger);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain("'old-editor'");
      expect(errors[0]).toMatch(/not marked retired.*npm run registry:ledger/);
    });

    it('passes once the ledger is updated', () => {
      expect(
        checkLedger(FIXTURE_FLAGS, FIXTURE_RETIRED, updateLedger(ledger, FIXTURE_FLAGS, FIXTURE_RETIRED, TODAY).ledger),
      ).toEqual([]);
    });
  });

  it.each([
    ['a date that is not ISO', { key: 'inbox', first_seen: '01/09/2026' }, /first_seen/],
    ['a date that does not exist', { key: 'inbox', first_seen: '2026-09-01', retired: '2026-02-30' }, /retired/],
    ['a key that is not kebab-case', { key: 'Inbox', first_seen: '2026-09-01' }, /key/],
    ['an unknown field', { key: 'inbox', first_seen: '2026-09-01', owner: 'team-a' }, /owner/],
  ])('reports a ledger entry with %s', (_label, entry, field) => {
    const ledger = FIXTURE_LEDGER.map((existing) => (existing.key === 'inbox' ? entry : existing));
    const errors = checkLedger(
      FIXTURE_FLAGS.filter((existing) => existing.key !== 'inbox'),
      FIXTURE_RETIRED,
      ledger,
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/entry #2/);
    expect(errors[0]).toMatch(field);
  });

  it('reports a key listed twice', () => {
    const errors = checkLedger(FIXTURE_FLAGS, FIXTURE_RETIRED, [
      ...FIXTURE_LEDGER,
      { key: 'inbox', first_seen: '2026-11-01' },
    ]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/'inbox' is listed twice/);
  });
});

describe('updateLedger', () => {
  it('builds a ledger from nothing in first-seen order, retired keys seen on their retirement date', () => {
    const update = updateLedger([], FIXTURE_FLAGS, FIXTURE_RETIRED, TODAY);
    expect(update).toEqual({
      ledger: FIXTURE_LEDGER,
      added: ['old-editor', 'inbox', 'search'],
      retired: ['old-editor'],
    });
  });

  it('appends new keys after the existing entries, even one created earlier', () => {
    const flags = [flag('late', '2026-11-20'), ...FIXTURE_FLAGS, flag('backdated', '2026-01-01')];
    const update = updateLedger(FIXTURE_LEDGER, flags, FIXTURE_RETIRED, TODAY);
    expect(update.ledger.map((entry) => entry.key)).toEqual(['old-editor', 'inbox', 'search', 'backdated', 'late']);
    expect(update.ledger.slice(3)).toEqual([
      { key: 'backdated', first_seen: '2026-01-01' },
      { key: 'late', first_seen: '2026-11-20' },
    ]);
    expect(update.added).toEqual(['backdated', 'late']);
    expect(update.retired).toEqual([]);
  });

  it('keeps registry order for keys first seen on the same day', () => {
    const flags = [flag('zeta', '2026-11-01'), flag('alpha', '2026-11-01')];
    expect(updateLedger([], flags, [], TODAY).added).toEqual(['zeta', 'alpha']);
  });

  it('uses today when a flag has no created date', () => {
    expect(updateLedger([], [{ key: 'undated' }], [], TODAY).ledger).toEqual([{ key: 'undated', first_seen: TODAY }]);
  });

  it('marks a key retired with the date from RETIRED and keeps its place and first_seen', () => {
    const flags = FIXTURE_FLAGS.filter((entry) => entry.key !== 'inbox');
    const retired = [...FIXTURE_RETIRED, retiredKey('inbox', '2026-11-30')];
    const update = updateLedger(FIXTURE_LEDGER, flags, retired, TODAY);
    expect(update.ledger).toEqual([
      FIXTURE_LEDGER[0],
      { key: 'inbox', first_seen: '2026-09-01', retired: '2026-11-30' },
      FIXTURE_LEDGER[2],
    ]);
    expect(update).toMatchObject({ added: [], retired: ['inbox'] });
  });

  it('is idempotent', () => {
    const flags = [...FIXTURE_FLAGS, flag('chat', '2026-11-02')];
    const retired = [...FIXTURE_RETIRED, retiredKey('older', '2026-06-01')];
    const once = updateLedger(FIXTURE_LEDGER, flags, retired, TODAY);
    expect(updateLedger(once.ledger, flags, retired, TODAY)).toEqual({ ledger: once.ledger, added: [], retired: [] });
  });

  it('never removes an entry, even for a key that vanished from the registry', () => {
    const update = updateLedger(FIXTURE_LEDGER, [], [], TODAY);
    expect(update.ledger).toEqual(FIXTURE_LEDGER);
  });

  it('never un-retires a key or changes its retirement date', () => {
    const comeback = [...FIXTURE_FLAGS, flag('old-editor', '2026-11-01')];
    expect(updateLedger(FIXTURE_LEDGER, comeback, [], TODAY).ledger).toEqual(FIXTURE_LEDGER);
    expect(updateLedger(FIXTURE_LEDGER, FIXTURE_FLAGS, [retiredKey('old-editor', '2026-09-09')], TODAY).ledger).toEqual(
      FIXTURE_LEDGER,
    );
  });

  it('does not modify the ledger it is given', () => {
    const ledger = Object.freeze(FIXTURE_LEDGER.map((entry) => Object.freeze({ ...entry })));
    const update = updateLedger(
      ledger,
      [...FIXTURE_FLAGS, flag('chat')],
      [...FIXTURE_RETIRED, retiredKey('search')],
      TODAY,
    );
    expect(ledger).toEqual(FIXTURE_LEDGER);
    expect(update.ledger).not.toBe(ledger);
  });
});

describe('retiredInLedger', () => {
  it('is the set of keys the ledger marks retired', () => {
    expect(retiredInLedger(FIXTURE_LEDGER)).toEqual(new Set(['old-editor']));
    expect(retiredInLedger([])).toEqual(new Set());
  });
});

describe('checkRegistry with the ledger', () => {
  it('reports a re-added retired key even when it was also removed from RETIRED', () => {
    const { errors } = checkRegistry([...FIXTURE_FLAGS, flag('old-editor')], [], TODAY, FIXTURE_LEDGER);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("'old-editor'");
    expect(errors[0]).toMatch(/retired/);
  });

  it('reports it once when the key is still in RETIRED', () => {
    const { errors } = checkRegistry([...FIXTURE_FLAGS, flag('old-editor')], FIXTURE_RETIRED, TODAY, FIXTURE_LEDGER);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("'old-editor'");
  });

  it("checks against the project's ledger by default", () => {
    const retiredKeys = [...retiredInLedger(LEDGER)];
    expect(retiredKeys.length).toBeGreaterThan(0);
    const { errors } = checkRegistry([...FLAGS, flag(retiredKeys[0] ?? '')], [], TODAY);
    expect(errors.join('\n')).toContain(`'${retiredKeys[0]}'`);
    expect(() => buildRegistry([...FLAGS, flag(retiredKeys[0] ?? '')], [], TODAY)).toThrow(/retired/);
  });

  it('does not fail on a stale ledger: a new flag need not be recorded to load', () => {
    expect(checkRegistry([...FIXTURE_FLAGS, flag('brand-new')], FIXTURE_RETIRED, TODAY, FIXTURE_LEDGER).errors).toEqual(
      [],
    );
    expect(checkRegistry(FIXTURE_FLAGS.slice(1), FIXTURE_RETIRED, TODAY, FIXTURE_LEDGER).errors).toEqual([]);
  });
});

describe('syncLedgerFile (npm run registry:ledger)', () => {
  let dir: string;
  let path: string;
  const command = (overrides: Partial<LedgerCommand> = {}): LedgerCommand => ({
    path,
    check: false,
    flags: FIXTURE_FLAGS,
    retired: FIXTURE_RETIRED,
    ledger: FIXTURE_LEDGER,
    today: TODAY,
    ...overrides,
  });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'registry-ledger-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    path = join(dir, `ledger-${Math.random().toString(36).slice(2)}.ts`);
    await writeFile(path, renderLedger(FIXTURE_LEDGER));
  });

  it('reports an up-to-date ledger and leaves the file alone', async () => {
    expect(await syncLedgerFile(command())).toEqual({ status: 0, output: ['ledger is up to date'], errors: [] });
    expect(await syncLedgerFile(command({ check: true }))).toEqual({
      status: 0,
      output: ['ledger is up to date'],
      errors: [],
    });
    expect(await readFile(path, 'utf8')).toBe(renderLedger(FIXTURE_LEDGER));
  });

  it('writes new and retired keys, one line each', async () => {
    const flags = [...FIXTURE_FLAGS.filter((entry) => entry.key !== 'search'), flag('chat', '2026-11-02')];
    const retired = [...FIXTURE_RETIRED, retiredKey('search', '2026-11-30')];
    const result = await syncLedgerFile(command({ flags, retired }));
    expect(result).toEqual({
      status: 0,
      output: ["added 'chat' (first seen 2026-11-02)", "marked 'search' retired (2026-11-30)"],
      errors: [],
    });
    expect(await readFile(path, 'utf8')).toBe(renderLedger(updateLedger(FIXTURE_LEDGER, flags, retired, TODAY).ledger));
  });

  it('with --check changes nothing and fails when the file would change', async () => {
    const flags = [...FIXTURE_FLAGS, flag('chat', '2026-11-02')];
    const result = await syncLedgerFile(command({ flags, check: true }));
    expect(result.status).toBe(1);
    expect(result.output).toEqual(["would add 'chat' (first seen 2026-11-02)"]);
    expect(result.errors).toEqual([expect.stringMatching(/out of date: run `npm run registry:ledger`/)]);
    expect(await readFile(path, 'utf8')).toBe(renderLedger(FIXTURE_LEDGER));
  });

  it('with --check fails on a file that is not in its generated form', async () => {
    await writeFile(path, renderLedger(FIXTURE_LEDGER).replace('export const', '// edited\nexport const'));
    const result = await syncLedgerFile(command({ check: true }));
    expect(result.status).toBe(1);
    expect(result.errors).toEqual([expect.stringMatching(/out of date/)]);
  });

  it('writes a missing file, and with --check does not create it', async () => {
    await rm(path);
    expect((await syncLedgerFile(command({ check: true }))).status).toBe(1);
    await expect(readFile(path, 'utf8')).rejects.toThrow(/ENOENT/);
    expect((await syncLedgerFile(command())).status).toBe(0);
    expect(await readFile(path, 'utf8')).toBe(renderLedger(FIXTURE_LEDGER));
  });

  it('fails on a key that vanished without retirement and keeps it in the ledger', async () => {
    const flags = [...FIXTURE_FLAGS.filter((entry) => entry.key !== 'search'), flag('chat', '2026-11-02')];
    const result = await syncLedgerFile(command({ flags }));
    expect(result.status).toBe(1);
    expect(result.output).toEqual(["added 'chat' (first seen 2026-11-02)"]);
    expect(result.errors).toEqual([expect.stringMatching(/'search' left the registry without being retired/)]);
    expect(await readFile(path, 'utf8')).toContain("key: 'search'");
  });

  it('refuses an invalid registry, such as a re-added retired key, without writing', async () => {
    const flags = [...FIXTURE_FLAGS, flag('old-editor'), flag('chat')];
    const result = await syncLedgerFile(command({ flags, retired: [] }));
    expect(result.status).toBe(1);
    expect(result.errors.join('\n')).toMatch(/'old-editor'.*retired/);
    expect(await readFile(path, 'utf8')).toBe(renderLedger(FIXTURE_LEDGER));
  });
});

describe('the registry:ledger command on the project as committed', () => {
  it('passes --check and changes nothing', async () => {
    const before = await readFile(LEDGER_PATH, 'utf8');
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    const result = spawnSync('npx', ['tsx', 'bin/registry-ledger.ts', '--check'], {
      cwd: PROJECT_ROOT,
      env,
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect({
      status: result.status,
      stdout: result.stdout,
      stderr: result.stderr.replace(/^npm warn.*\n/gm, ''),
    }).toEqual({
      status: 0,
      stdout: 'ledger is up to date\n',
      stderr: '',
    });
    expect(await readFile(LEDGER_PATH, 'utf8')).toBe(before);
  });
});
