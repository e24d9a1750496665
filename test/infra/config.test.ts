import { describe, expect, it } from '@jest/globals';
import { serviceApp } from '../../lib/app.js';
import { SCOPES } from '../../lambdas/domain/caller.js';
import { stageConfig } from '../../lib/config/stage-config.js';
import { STAGE_NAMES, cdkJsonStages, type StageSettings } from '../support/cdk.js';

const stages = cdkJsonStages();
const BASE_STAGE = STAGE_NAMES.find((name) => (stages[name] as { jwt?: unknown }).jwt !== undefined) as string;
const base = stages[BASE_STAGE] as StageSettings & { jwt: Record<string, unknown>; adminUi: unknown };

/** The stages of cdk.json with the base stage replaced by `settings`. */
const withBase = (settings: StageSettings) => ({ ...cdkJsonStages(), [BASE_STAGE]: settings });
const configWith = (settings: StageSettings) => () => stageConfig(BASE_STAGE, withBase(settings));

describe('stageConfig', () => {
  it('accepts every stage of cdk.json, keeping its values and filling the defaults', () => {
    for (const name of STAGE_NAMES) {
      const config = stageConfig(name, stages);
      expect(config).toMatchObject({ ...(stages[name] as StageSettings), stage: name });
      expect(config.functionMemoryMb).toBeGreaterThanOrEqual(128);
      expect(config.orgEventSource.length).toBeGreaterThan(0);
    }
  });

  it('rejects an unknown stage, naming the known ones', () => {
    expect(() => stageConfig('qa', stages)).toThrow(
      `Unknown stage 'qa'. Known stages: ${Object.keys(stages).join(', ')}.`,
    );
  });

  it('rejects a missing or malformed stage name', () => {
    expect(() => stageConfig(undefined, stages)).toThrow(/Invalid or missing stage: pass -c stage=NAME/);
    expect(() => stageConfig('', stages)).toThrow(/Invalid or missing stage/);
    expect(() => stageConfig('Prod', stages)).toThrow(/Invalid or missing stage/);
    expect(() => serviceApp({ context: { stages } })).toThrow(/Invalid or missing stage/);
  });

  it('rejects a missing stages context', () => {
    expect(() => stageConfig(BASE_STAGE, undefined)).toThrow("cdk.json has no 'stages' context object.");
  });

  it('rejects an issuer that is not https', () => {
    expect(configWith({ ...base, jwt: { ...base.jwt, issuer: 'http://auth.example.com/' } })).toThrow(
      /✖ jwt\.issuer must be an https URL.*\n {2}→ at jwt\.issuer$/m,
    );
    expect(configWith({ ...base, jwt: { ...base.jwt, issuer: 'not a url' } })).toThrow(/→ at jwt\.issuer$/m);
  });

  it('rejects an empty audience list', () => {
    expect(configWith({ ...base, jwt: { ...base.jwt, audience: [] } })).toThrow(
      /✖ jwt\.audience needs at least one value.*\n {2}→ at jwt\.audience$/m,
    );
  });

  it('needs exactly one of jwt and devUserPool', () => {
    const { jwt, adminUi, ...withoutJwt } = base;
    expect(jwt).toBeDefined();
    expect(configWith({ ...withoutJwt, adminUi })).toThrow(/✖ jwt is required.*\n {2}→ at jwt$/m);
    expect(configWith({ ...base, devUserPool: true })).toThrow(
      /✖ set either jwt or devUserPool: true, not both.*\n {2}→ at jwt$/m,
    );
    expect(stageConfig(BASE_STAGE, withBase({ ...withoutJwt, devUserPool: true }))).toMatchObject({
      devUserPool: true,
    });
  });

  describe('adminUi', () => {
    const { jwt: _jwt, adminUi: _adminUi, ...poolStage } = { ...base, devUserPool: true };

    it("with jwt, takes the UI's client (scope defaulting to openid, email and the admin scope), or false for no UI, and nothing else", () => {
      expect(stageConfig(BASE_STAGE, withBase({ ...base, adminUi: { clientId: 'ui' } })).adminUi).toEqual({
        clientId: 'ui',
        scope: `openid email ${SCOPES.admin}`,
        connectOrigins: [],
      });
      expect(stageConfig(BASE_STAGE, withBase({ ...base, adminUi: false })).adminUi).toBe(false);
      const { adminUi: _, ...withoutUi } = base;
      expect(configWith(withoutUi)).toThrow(/✖ adminUi is required with jwt.*\n {2}→ at adminUi$/m);
      expect(configWith({ ...base, adminUi: true })).toThrow(/→ at adminUi$/m);
      expect(configWith({ ...base, adminUi: { clientId: '' } })).toThrow(
        /✖ adminUi\.clientId is required.*\n {2}→ at adminUi\.clientId$/m,
      );
      expect(configWith({ ...base, adminUi: { clientId: 'ui', redirectUrl: 'https://x' } })).toThrow(
        /✖ .*redirectUrl.*\n {2}→ at adminUi$/m,
      );
    });

    it("keeps the other settings of the UI's client: scope with openid, an https logout URL, https origins the page may call", () => {
      const config = stageConfig(
        BASE_STAGE,
        withBase({
          ...base,
          adminUi: {
            clientId: 'ui',
            scope: 'openid feature-flags/service',
            logoutUrl: 'https://login.example.com/logout',
            connectOrigins: ['https://oauth2.example.com/'],
          },
        }),
      );
      expect(config.adminUi).toEqual({
        clientId: 'ui',
        scope: 'openid feature-flags/service',
        logoutUrl: 'https://login.example.com/logout',
        connectOrigins: ['https://oauth2.example.com'],
      });
      expect(configWith({ ...base, adminUi: { clientId: 'ui', scope: 'email feature-flags/admin' } })).toThrow(
        /✖ adminUi\.scope must include 'openid'.*\n {2}→ at adminUi\.scope$/m,
      );
      expect(
        configWith({ ...base, adminUi: { clientId: 'ui', logoutUrl: 'http://login.example.com/logout' } }),
      ).toThrow(/✖ adminUi\.logoutUrl must be an https URL.*\n {2}→ at adminUi\.logoutUrl$/m);
      expect(
        configWith({ ...base, adminUi: { clientId: 'ui', connectOrigins: ['https://oauth2.example.com/token'] } }),
      ).toThrow(/✖ must be an origin only.*\n {2}→ at adminUi\.connectOrigins\[0\]$/m);
      expect(
        configWith({ ...base, adminUi: { clientId: 'ui', connectOrigins: ['http://oauth2.example.com'] } }),
      ).toThrow(/✖ must be an https origin.*\n {2}→ at adminUi\.connectOrigins\[0\]$/m);
    });

    it('with devUserPool, is absent (the pool gets the UI a client) or false; a client of its own is refused', () => {
      expect(stageConfig(BASE_STAGE, withBase(poolStage)).adminUi).toBeUndefined();
      expect(stageConfig(BASE_STAGE, withBase({ ...poolStage, adminUi: false })).adminUi).toBe(false);
      expect(configWith({ ...poolStage, adminUi: { clientId: 'ui' } })).toThrow(
        /✖ with devUserPool the pool has the admin UI its client.*\n {2}→ at adminUi$/m,
      );
    });
  });

  it('rejects unknown keys, at the top and inside jwt (strict)', () => {
    expect(configWith({ ...base, tableName: 'flags' })).toThrow(/Invalid config for stage '.*':\n✖ .*tableName/);
    expect(configWith({ ...base, jwt: { ...base.jwt, audiences: ['x'] } })).toThrow(/✖ .*audiences.*\n {2}→ at jwt$/m);
  });

  it('rejects a log retention CloudWatch does not offer', () => {
    expect(configWith({ ...base, logRetentionDays: 10 })).toThrow(/→ at logRetentionDays$/m);
    expect(configWith({ ...base, logRetentionDays: '14' })).toThrow(/→ at logRetentionDays$/m);
  });

  it('names every problem at once', () => {
    const error = (() => {
      try {
        configWith({ ...base, logLevel: 'TRACE', logRetentionDays: 10, throttle: { rateLimit: 0, burstLimit: 1 } })();
      } catch (caught) {
        return caught as Error;
      }
      throw new Error('expected stageConfig to throw');
    })();
    expect(error.message).toMatch(/→ at logLevel$/m);
    expect(error.message).toMatch(/→ at logRetentionDays$/m);
    expect(error.message).toMatch(/→ at throttle\.rateLimit$/m);
  });
});
