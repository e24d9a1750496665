import { describe, expect, test } from '@jest/globals';
import { handler as health } from '../../../lambdas/handlers/health.js';
import { dynamoDbCallCounter } from '../../support/events.js';
import { registry } from '../../support/flags.js';
import { invoke } from '../../support/http.js';

describe('health handler (GET /health)', () => {
  test('answers 200 {status: ok} without a token and without touching the table', async () => {
    const calls = dynamoDbCallCounter();
    calls.reset();

    const result = await invoke(health, { method: 'GET', path: '/health', role: 'none' });

    expect(result.status).toBe(200);
    expect(result.body).toEqual(expect.objectContaining({ status: 'ok', registry_version: registry.version }));
    expect(result.headers['content-type']).toMatch(/^application\/json/);
    expect(calls.total()).toBe(0);
  });
});
