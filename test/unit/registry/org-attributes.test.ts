import { describe, expect, it } from '@jest/globals';
import { FLAGS } from '../../../registry/flags.js';
import { buildRegistry, checkOrgAttributes, loadRegistry } from '../../../registry/index.js';
import { ORG_ATTRIBUTES } from '../../../registry/org-attributes.js';
import { RETIRED } from '../../../registry/retired.js';

const plan = { name: 'plan', type: 'enum', values: ['free', 'pro'], description: 'Plan.' };

describe('the declared org attributes', () => {
  it('ship plan and region, valid, and reach the loaded registry with a version of their own', () => {
    expect(checkOrgAttributes(ORG_ATTRIBUTES)).toEqual([]);
    const registry = loadRegistry();
    expect(registry.orgAttributes.definitions.map((definition) => definition.name)).toEqual(['plan', 'region']);
    expect(registry.orgAttributes.byName.get('plan')).toMatchObject({ values: ['free', 'pro', 'enterprise'] });
    expect(registry.orgAttributes.version).toMatch(/^[0-9a-f]{16}$/);
  });

  it('report each bad declaration by name: format, reserved names, enums without or with repeated values, unknown types, duplicates', () => {
    const errors = checkOrgAttributes([
      { ...plan, name: 'Plan' },
      { ...plan, name: 'prefix' },
      { ...plan, values: [] },
      { ...plan, name: 'tier', values: ['a', 'a'] },
      { name: 'seats', type: 'number', description: 'Seats.' },
      { name: 'notes', type: 'string' },
      plan,
      plan,
    ]);
    expect(errors).toEqual([
      expect.stringMatching(/^org attribute 'Plan':\n.*must be snake_case/s),
      expect.stringMatching(/^org attribute 'prefix':\n.*is reserved/s),
      expect.stringMatching(/^org attribute 'plan':\n.*an enum needs at least one value/s),
      expect.stringMatching(/^org attribute 'tier':\n.*values must be unique/s),
      expect.stringMatching(/^org attribute 'seats':/),
      expect.stringMatching(/^org attribute 'notes':\n.*description is required/s),
      "org attribute 'plan': declared twice",
    ]);
  });

  it('stop the registry from loading when invalid, and version it by content', () => {
    expect(() => buildRegistry(FLAGS, RETIRED, '2026-12-01', undefined, [plan, plan])).toThrow(
      /org attribute 'plan': declared twice/,
    );
    const one = buildRegistry(FLAGS, RETIRED, '2026-12-01', undefined, [plan]).orgAttributes.version;
    const other = buildRegistry(FLAGS, RETIRED, '2026-12-01', undefined, [{ ...plan, values: ['free'] }]).orgAttributes
      .version;
    expect(one).not.toBe(other);
    expect(buildRegistry(FLAGS, RETIRED, '2026-12-01', undefined, [plan]).orgAttributes.version).toBe(one);
  });
});
