import { describe, expect, it } from '@jest/globals';
import { FLAGS } from '../../../registry/flags.js';
import { RETIRED } from '../../../registry/retired.js';
import {
  buildRegistry,
  checkRegistry,
  loadRegistry,
  registryVersion,
  type FlagDefinition,
  type RetiredFlag,
} from '../../../registry/index.js';

const TODAY = '2026-12-01';

/** A valid temporary flag; tests override or drop single fields. */
function temporaryFlag(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    key: 'new-inbox',
    description: 'The new inbox.',
    default_enabled: false,
    internal_only: false,
    owner: 'team-inbox',
    created: '2026-10-01',
    cleanup_after: '2027-03-31',
    ...overrides,
  };
}

function permanentFlag(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    key: 'billing',
    description: 'Billing pages.',
    default_enabled: true,
    internal_only: false,
    owner: 'team-billing',
    created: '2026-09-01',
    permanent: true,
    ...overrides,
  };
}

function without(entry: Record<string, unknown>, field: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(entry).filter(([name]) => name !== field));
}

function retiredFlag(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { key: 'old-editor', retired: '2026-08-01', reason: 'Replaced by the new editor.', ...overrides };
}

describe('the project registry', () => {
  const registry = loadRegistry();

  it('loads without errors and validates cleanly against its own check', () => {
    expect(checkRegistry(FLAGS, RETIRED, TODAY).errors).toEqual([]);
    expect(registry.flags.length).toBeGreaterThan(0);
  });

  it('has unique keys', () => {
    const keys = registry.flags.map((flag) => flag.key);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('lists composer (on by default), composer-dashboard (internal only) and chat', () => {
    expect(registry.byKey.get('composer')).toMatchObject({ default_enabled: true, internal_only: false });
    expect(registry.byKey.get('composer-dashboard')).toMatchObject({ internal_only: true });
    expect(registry.byKey.get('chat')).toMatchObject({ internal_only: false });
  });

  it.each(['composer', 'composer-dashboard', 'chat'])('gives %s an owner, a description and a created date', (key) => {
    const flag = registry.byKey.get(key);
    expect(flag).toBeDefined();
    expect(flag?.owner.trim()).not.toBe('');
    expect(flag?.description.trim()).not.toBe('');
    expect(flag?.created).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it('indexes every flag by key, in registry order', () => {
    expect([...registry.byKey.keys()]).toEqual(registry.flags.map((flag) => flag.key));
  });

  it('never lists a retired key as a live flag', () => {
    for (const retired of registry.retired) expect(registry.byKey.has(retired.key)).toBe(false);
  });

  it('is loaded once per process', () => {
    expect(loadRegistry()).toBe(registry);
  });

  it('carries its content hash as its version', () => {
    expect(registry.version).toBe(registryVersion(registry.flags, registry.retired));
  });
});

describe('checkRegistry', () => {
  it('accepts a valid temporary flag, a valid permanent flag and a retired key', () => {
    expect(checkRegistry([temporaryFlag(), permanentFlag()], [retiredFlag()], TODAY)).toEqual({
      errors: [],
      warnings: [],
    });
  });

  it('reports a duplicate key', () => {
    const { errors } = checkRegistry([temporaryFlag(), permanentFlag({ key: 'new-inbox' })], [], TODAY);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('new-inbox');
    expect(errors[0]).toMatch(/duplicate/i);
  });

  it.each([
    ['uppercase letters', 'New-Inbox'],
    ['an underscore', 'new_inbox'],
    ['a leading dash', '-new-inbox'],
    ['a trailing dash', 'new-inbox-'],
    ['a double dash', 'new--inbox'],
    ['a space', 'new inbox'],
    ['65 characters', 'a'.repeat(65)],
    ['no characters', ''],
  ])('reports a key with %s', (_label, key) => {
    const { errors } = checkRegistry([temporaryFlag({ key })], [], TODAY);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/key/);
  });

  it('accepts a key of exactly 64 characters and keys with digits', () => {
    const flags = [temporaryFlag({ key: 'a'.repeat(64) }), temporaryFlag({ key: 'v2-api-3' })];
    expect(checkRegistry(flags, [], TODAY).errors).toEqual([]);
  });

  describe('a missing owner', () => {
    it('is an error for that flag', () => {
      const { errors } = checkRegistry([without(temporaryFlag(), 'owner')], [], TODAY);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain("'new-inbox'");
    });

    it('is an error that names the owner field', () => {
      const { errors } = checkRegistry([without(temporaryFlag(), 'owner')], [], TODAY);
      expect(errors.join('\n')).toMatch(/owner/);
    });

    it('includes a blank owner', () => {
      const { errors } = checkRegistry([temporaryFlag({ owner: '   ' })], [], TODAY);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/owner/);
    });
  });

  describe('the cleanup_after / permanent rule', () => {
    it('reports a flag with neither cleanup_after nor permanent', () => {
      const { errors } = checkRegistry([without(temporaryFlag(), 'cleanup_after')], [], TODAY);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain("'new-inbox'");
    });

    it('names cleanup_after or permanent when both are missing', () => {
      const { errors } = checkRegistry([without(temporaryFlag(), 'cleanup_after')], [], TODAY);
      expect(errors.join('\n')).toMatch(/cleanup_after|permanent/);
    });

    it('reports a flag with both cleanup_after and permanent: true', () => {
      const { errors } = checkRegistry([permanentFlag({ cleanup_after: '2027-01-01' })], [], TODAY);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain("'billing'");
    });

    it('names cleanup_after or permanent when both are given', () => {
      const { errors } = checkRegistry([permanentFlag({ cleanup_after: '2027-01-01' })], [], TODAY);
      expect(errors.join('\n')).toMatch(/cleanup_after|permanent/);
    });

    it('reports permanent: false without a cleanup date', () => {
      const { errors } = checkRegistry([permanentFlag({ permanent: false })], [], TODAY);
      expect(errors).toHaveLength(1);
    });
  });

  it.each([
    ['free text', 'next week'],
    ['a non-ISO format', '01/10/2026'],
    ['month 13', '2026-13-01'],
    ['day 32', '2026-01-32'],
    ['a timestamp', '2026-10-01T00:00:00Z'],
  ])('reports an unparseable created date: %s', (_label, created) => {
    const { errors } = checkRegistry([temporaryFlag({ created })], [], TODAY);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/created/);
  });

  it.each([
    ['30 February', '2026-02-30'],
    ['31 April', '2026-04-31'],
    ['29 February in a common year', '2027-02-29'],
  ])('reports a date that does not exist in the calendar: %s', (_label, created) => {
    const { errors } = checkRegistry([temporaryFlag({ created })], [], TODAY);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/created/);
  });

  it('accepts 29 February in a leap year', () => {
    expect(checkRegistry([temporaryFlag({ created: '2028-02-29' })], [], TODAY).errors).toEqual([]);
  });

  it('reports an unparseable cleanup_after date', () => {
    const { errors } = checkRegistry([temporaryFlag({ cleanup_after: 'soon' })], [], TODAY);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("'new-inbox'");
  });

  it('reports a live flag whose key is retired (a reused key)', () => {
    const { errors } = checkRegistry([temporaryFlag({ key: 'old-editor' })], [retiredFlag()], TODAY);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('old-editor');
    expect(errors[0]).toMatch(/retired/);
  });

  it('reports a retired entry without a reason', () => {
    const { errors } = checkRegistry([], [without(retiredFlag(), 'reason')], TODAY);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/reason/);
  });

  it('reports a retired entry with a blank reason', () => {
    const { errors } = checkRegistry([], [retiredFlag({ reason: ' ' })], TODAY);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/reason/);
  });

  it('reports a retired key listed twice', () => {
    const { errors } = checkRegistry([], [retiredFlag(), retiredFlag({ retired: '2026-09-01' })], TODAY);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('old-editor');
  });

  describe('a past-due cleanup_after', () => {
    it('is a warning naming the flag, the date and the owner, not an error', () => {
      const report = checkRegistry([temporaryFlag({ cleanup_after: '2026-11-30' })], [], TODAY);
      expect(report.errors).toEqual([]);
      expect(report.warnings).toHaveLength(1);
      expect(report.warnings[0]).toContain('new-inbox');
      expect(report.warnings[0]).toContain('2026-11-30');
      expect(report.warnings[0]).toContain('team-inbox');
    });

    it('is not reported on or before the cleanup date', () => {
      expect(checkRegistry([temporaryFlag({ cleanup_after: TODAY })], [], TODAY).warnings).toEqual([]);
      expect(checkRegistry([temporaryFlag({ cleanup_after: '2026-12-02' })], [], TODAY).warnings).toEqual([]);
    });

    it('is never reported for a permanent flag', () => {
      expect(checkRegistry([permanentFlag({ created: '2020-01-01' })], [], TODAY).warnings).toEqual([]);
    });
  });
});

describe('buildRegistry', () => {
  it('throws an error that lists every problem', () => {
    const build = () =>
      buildRegistry(
        [temporaryFlag(), temporaryFlag(), permanentFlag({ key: 'Bad_Key' }), temporaryFlag({ key: 'old-editor' })],
        [retiredFlag(), without(retiredFlag({ key: 'gone' }), 'reason')],
        TODAY,
      );
    expect(build).toThrow(/new-inbox.*duplicate/i);
    expect(build).toThrow(/Bad_Key/);
    expect(build).toThrow(/old-editor.*retired/);
    expect(build).toThrow(/retired #2:\n {2}✖ .*\n {4}→ at reason$/m);
  });

  it('does not throw for past-due cleanup dates and keeps them as warnings', () => {
    const registry = buildRegistry([temporaryFlag({ cleanup_after: '2026-01-01' })], [], TODAY);
    expect(registry.warnings).toHaveLength(1);
    expect(registry.warnings[0]).toContain('new-inbox');
  });

  it('keeps flags in the order given and indexes them by key', () => {
    const registry = buildRegistry(
      [temporaryFlag({ key: 'zeta' }), permanentFlag({ key: 'alpha' })],
      [retiredFlag()],
      TODAY,
    );
    expect(registry.flags.map((flag) => flag.key)).toEqual(['zeta', 'alpha']);
    expect(registry.byKey.get('alpha')?.default_enabled).toBe(true);
    expect(registry.retired.map((entry) => entry.key)).toEqual(['old-editor']);
  });
});

describe('registryVersion', () => {
  const flags = [temporaryFlag(), permanentFlag()];
  const retired = [retiredFlag()];

  it('is the same for the same content', () => {
    expect(buildRegistry(flags, retired, TODAY).version).toBe(
      buildRegistry(structuredClone(flags), structuredClone(retired), TODAY).version,
    );
  });

  it('changes when a default changes', () => {
    const changed = [temporaryFlag({ default_enabled: true }), permanentFlag()];
    expect(buildRegistry(changed, retired, TODAY).version).not.toBe(buildRegistry(flags, retired, TODAY).version);
  });

  it('changes when a flag is added or a key is retired', () => {
    const base = buildRegistry(flags, retired, TODAY).version;
    expect(buildRegistry([...flags, temporaryFlag({ key: 'extra' })], retired, TODAY).version).not.toBe(base);
    expect(buildRegistry(flags, [...retired, retiredFlag({ key: 'older' })], TODAY).version).not.toBe(base);
  });

  it('does not depend on the order of fields within an entry', () => {
    const reversed = (entry: Record<string, unknown>) => Object.fromEntries(Object.entries(entry).reverse());
    const a = buildRegistry(flags, retired, TODAY).version;
    const b = buildRegistry(flags.map(reversed), retired.map(reversed), TODAY).version;
    expect(b).toBe(a);
    expect(registryVersion(flags.map(reversed) as FlagDefinition[], retired.map(reversed) as RetiredFlag[])).toBe(
      registryVersion(flags as FlagDefinition[], retired as RetiredFlag[]),
    );
  });

  it('does not depend on the date the registry is built', () => {
    expect(buildRegistry(flags, retired, '2026-01-01').version).toBe(
      buildRegistry(flags, retired, '2030-01-01').version,
    );
  });
});
