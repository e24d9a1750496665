import { describe, expect, it } from '@jest/globals';
import { loadRegistry } from '../../../registry/index.js';
import { appRegistry } from '../../../lambdas/shared/registry.js';

describe("the functions' registry", () => {
  it('is the checked registry: same flags, retired keys, version and warnings', () => {
    const checked = loadRegistry();
    const functions = appRegistry();
    expect(functions.version).toBe(checked.version);
    expect(JSON.stringify(functions.flags)).toBe(JSON.stringify(checked.flags));
    expect(functions.retired).toEqual(checked.retired);
    expect([...functions.byKey.keys()]).toEqual([...checked.byKey.keys()]);
    expect(functions.warnings).toEqual(checked.warnings);
  });
});
