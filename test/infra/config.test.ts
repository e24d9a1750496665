import { describe, expect, it } from '@jest/globals';
import { serviceApp } from '../../lib/app.js';
import { stageConfig } from '../../lib/config/stage-config.js';
import { STAGE_NAMES, cdkJsonStages, type StageSettings } from '../support/cdk.js';

const stages = cdkJsonStages();
const BASE_STAGE = STAGE_NAMES.find((name) => (stages[name] as { jwt?: unknown }).jwt !== undefined) as string;
const base = stages[BASE_STAGE] as StageSettings & { jwt: Record<string, unknown> };

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
    expect(() => stageConfig('qa', stages)).toThrow(`Unknown stage 'qa'. Known stages: ${Object.keys(stages).join(', ')}.`);
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
    expect(configWith({ ...base, jwt: { ...base.jwt, issuer: 'http://auth.example.com/' } })).toThrow(/- jwt\.issuer: jwt\.issuer must be an https URL/);
    expect(configWith({ ...base, jwt: { ...base.jwt, issuer: 'not a url' } })).toThrow(/- jwt\.issuer:/);
  });

  it('rejects an empty audience list', () => {
    expect(configWith({ ...base, jwt: { ...base.jwt, audience: [] } })).toThrow(/- jwt\.audience: jwt\.audience needs at least one value/);
  });

  it('needs exactly one of jwt and devUserPool', () => {
    const { jwt, ...withoutJwt } = base;
    expect(jwt).toBeDefined();
    expect(configWith(withoutJwt)).toThrow(/- jwt: jwt is required/);
    expect(configWith({ ...base, devUserPool: true })).toThrow(/- jwt: set either jwt or devUserPool: true, not both/);
    expect(stageConfig(BASE_STAGE, withBase({ ...withoutJwt, devUserPool: true }))).toMatchObject({ devUserPool: true });
  });

  it('rejects unknown keys, at the top and inside jwt (strict)', () => {
    expect(configWith({ ...base, tableName: 'flags' })).toThrow(/Invalid config for stage '.*':\n- stage: .*tableName/);
    expect(configWith({ ...base, jwt: { ...base.jwt, audiences: ['x'] } })).toThrow(/- jwt: .*audiences/);
  });

  it('rejects a log retention CloudWatch does not offer', () => {
    expect(configWith({ ...base, logRetentionDays: 10 })).toThrow(/- logRetentionDays:/);
    expect(configWith({ ...base, logRetentionDays: '14' })).toThrow(/- logRetentionDays:/);
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
    expect(error.message).toMatch(/- logLevel:/);
    expect(error.message).toMatch(/- logRetentionDays:/);
    expect(error.message).toMatch(/- throttle\.rateLimit:/);
  });
});
