import { describe, expect, test } from '@jest/globals';
import { mergeFlag } from '../../../lambdas/domain/flags.js';
import { bulkEtag, bulkEvaluation, evaluation } from '../../../lambdas/domain/ofrep.js';
import { matchesIfNoneMatch } from '../../../lambdas/http/request.js';
import { publicFlag } from '../../support/flags.js';

const flag = publicFlag();
const row = (enabled: boolean, version: number) => ({
  orgId: 'acme',
  key: flag.key,
  enabled,
  version,
  source: 'admin' as const,
  updatedAt: '2026-12-01T10:00:00.000Z',
  updatedBy: 'admin-1',
});

describe('OFREP evaluations', () => {
  test("an org's row is TARGETING_MATCH; no row is the registry default, DEFAULT", () => {
    expect(evaluation(mergeFlag(flag, row(true, 7)), 'v1')).toEqual({
      key: flag.key,
      value: true,
      reason: 'TARGETING_MATCH',
      variant: 'on',
      metadata: { is_default: false, source: 'admin', version: 7, registry_version: 'v1' },
    });
    expect(evaluation(mergeFlag(flag, undefined), 'v1')).toEqual({
      key: flag.key,
      value: flag.default_enabled,
      reason: 'DEFAULT',
      variant: flag.default_enabled ? 'on' : 'off',
      metadata: { is_default: true, source: 'registry_default', version: 0, registry_version: 'v1' },
    });
  });

  test('the ETag changes exactly when the answer does: a value, a version, the registry, the org', () => {
    const etag = (enabled: boolean, version: number, registryVersion = 'v1', orgId = 'acme') =>
      bulkEtag(JSON.stringify(bulkEvaluation(orgId, [mergeFlag(flag, row(enabled, version))], registryVersion)));
    expect(etag(true, 1)).toBe(etag(true, 1));
    expect(etag(true, 1)).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    const others = [etag(false, 1), etag(true, 2), etag(true, 1, 'v2'), etag(true, 1, 'v1', 'globex')];
    expect(new Set([etag(true, 1), ...others]).size).toBe(5);
  });

  test('If-None-Match matches the ETag, in a list, weak, or *; nothing else', () => {
    expect(matchesIfNoneMatch('"abc"', '"abc"')).toBe(true);
    expect(matchesIfNoneMatch('"x", W/"abc"', '"abc"')).toBe(true);
    expect(matchesIfNoneMatch('*', '"abc"')).toBe(true);
    expect(matchesIfNoneMatch('"abd"', '"abc"')).toBe(false);
    expect(matchesIfNoneMatch('abc', '"abc"')).toBe(false);
    expect(matchesIfNoneMatch(undefined, '"abc"')).toBe(false);
  });
});
