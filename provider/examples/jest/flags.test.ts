// A service's jest test of code that reads a flag. In a service, import from
// '@org-feature-flags/openfeature-provider' and '@org-feature-flags/openfeature-provider/testing'.
import { beforeEach, describe, expect, it } from '@jest/globals';
import { OpenFeature } from '@openfeature/server-sdk';
import { useInMemoryFlags, withFlag, withFlagDisabled, type InMemoryFlagsProvider } from '../../src/testing.js';
import { flagsFor } from '../../src/typed.js';

/** The service code under test: which editor an org's members get. */
async function editorFor(orgId: string): Promise<'composer' | 'textarea'> {
  const flags = flagsFor(OpenFeature.getClient());
  return (await flags.isEnabled(orgId, 'composer')) ? 'composer' : 'textarea';
}

describe('editorFor', () => {
  let flags: InMemoryFlagsProvider;

  beforeEach(async () => {
    flags = await useInMemoryFlags();
  });

  it('gives an org the composer by default', async () => {
    expect(await editorFor('acme')).toBe('composer');
  });

  it('gives the textarea to an org with the composer off', async () => {
    await withFlagDisabled('acme', 'composer', async () => {
      expect(await editorFor('acme')).toBe('textarea');
      expect(await editorFor('globex')).toBe('composer');
    });
    expect(await editorFor('acme')).toBe('composer');
  });

  it('gives the composer back when it is turned on again', async () => {
    flags.set('acme', 'composer', false);
    await withFlag('acme', 'composer', true, async () => {
      expect(await editorFor('acme')).toBe('composer');
    });
    expect(await editorFor('acme')).toBe('textarea');
  });

  it('only takes flag keys of the registry', () => {
    const client = flagsFor(OpenFeature.getClient());
    // @ts-expect-error 'no-such-flag' is not a flag of the registry, so the call does not compile.
    const typo = () => client.isEnabled('acme', 'no-such-flag');
    expect(typo).toBeInstanceOf(Function);
  });
});
