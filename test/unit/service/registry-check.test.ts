import { afterAll, describe, expect, it, jest } from '@jest/globals';
import { FLAGS } from '../../../registry/flags.js';

// The functions take the registry as written; the CDK stack and the local stack get every
// function's entry from handlerEntryPath, which must refuse an invalid registry with the
// registry's own message, so that neither synthesizes nor starts with it.
const [first] = FLAGS;
jest.unstable_mockModule('../../../registry/flags.js', () => ({
  FLAGS: [...FLAGS, { ...first, key: 'Not_Kebab', owner: '' }, { ...first }],
}));
const { handlerEntryPath } = await import('../../../lib/service/handlers.js');
const { buildStage, removeSynthOutput, STAGE_NAMES } = await import('../../support/cdk.js');

const REGISTRY_ERRORS = [
  'Invalid feature flag registry:',
  "- flag 'Not_Kebab':",
  '  ✖ must be lowercase kebab-case (a-z, 0-9, single dashes)',
  '    → at key',
  '  ✖ owner is required',
  '    → at owner',
  `- flag '${first?.key}': duplicate key`,
].join('\n');

afterAll(removeSynthOutput);

describe('an invalid registry', () => {
  it("gets no function's entry, with the registry's errors", () => {
    expect(() => handlerEntryPath('health')).toThrow(REGISTRY_ERRORS);
  });

  it('fails synth with them', () => {
    expect(() => buildStage(STAGE_NAMES[0]!)).toThrow(REGISTRY_ERRORS);
  });
});
