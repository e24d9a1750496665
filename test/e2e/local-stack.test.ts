import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { DynamoDBClient, QueryCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadRegistry } from '../../registry/index.js';
import { startLocalStackProcess, tokenFor, waitFor, type LocalStackProcess } from '../support/local-stack-process.js';

const registry = loadRegistry();

let stack: LocalStackProcess;
let admin: string;
let events: EventBridgeClient;

const newOrgId = () => `e2e-${randomUUID().slice(0, 8)}`;

async function call(
  pathname: string,
  init: { token?: string; method?: string; body?: string; contentType?: string } = {},
) {
  const headers: Record<string, string> = {};
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.body !== undefined) headers['content-type'] = init.contentType ?? 'application/json';
  const response = await fetch(`${stack.url}${pathname}`, { method: init.method ?? 'GET', headers, body: init.body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

async function publishOrgCreated(detail: Record<string, unknown>) {
  return events.send(
    new PutEventsCommand({
      Entries: [{ Source: 'org-service', DetailType: 'OrgCreated', Detail: JSON.stringify(detail) }],
    }),
  );
}

beforeAll(async () => {
  stack = await startLocalStackProcess();
  admin = await tokenFor(stack, '--role', 'admin');
  events = new EventBridgeClient({
    endpoint: stack.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}, 90_000);

afterAll(async () => {
  events?.destroy();
  await stack?.stop();
});

describe('the local stack, end to end', () => {
  it('answers /health without a token', async () => {
    const health = await call('/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', registry_version: registry.version });
  });

  it('provisions an org from OrgCreated published with the EventBridge SDK, readable within 2 s', async () => {
    const orgId = newOrgId();
    const published = await publishOrgCreated({ org_id: orgId, name: 'Example Co' });
    expect(published.FailedEntryCount).toBe(0);
    const started = Date.now();
    const flags = await waitFor(async () => {
      const response = await call(`/org-feature-flags/${orgId}`, { token: admin });
      return response.status === 200 ? response.body : undefined;
    }, 2_000);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(flags.flags.map((flag: { key: string }) => flag.key)).toEqual(registry.flags.map((flag) => flag.key));
    for (const [index, definition] of registry.flags.entries()) {
      expect(flags.flags[index]).toMatchObject({
        key: definition.key,
        user_enabled: definition.default_enabled,
        feature_flag_value: definition.default_enabled ? 1 : 0,
        internal_only: definition.internal_only,
        is_default: false,
        from_registry: true,
        source: 'provisioned',
      });
    }
  });

  it('takes org attributes from OrgCreated and OrgUpdated on the bus, and from an admin over HTTP', async () => {
    const orgId = newOrgId();
    await publishOrgCreated({ org_id: orgId, plan: 'pro', region: 'eu', occurred_at: '2026-12-01T09:00:00Z' });
    const attributesOf = async (expected: Record<string, string>) =>
      waitFor(async () => {
        const response = await call(`/orgs/${orgId}`, { token: admin });
        return response.status === 200 && JSON.stringify(response.body.attributes) === JSON.stringify(expected)
          ? response.body
          : undefined;
      }, 2_000);
    await attributesOf({ plan: 'pro', region: 'eu' });

    const updated = (attributes: Record<string, unknown>, occurredAt: string) =>
      events.send(
        new PutEventsCommand({
          Entries: [
            {
              Source: 'org-service',
              DetailType: 'OrgUpdated',
              Detail: JSON.stringify({ org_id: orgId, attributes, occurred_at: occurredAt }),
            },
          ],
        }),
      );
    await updated({ plan: 'enterprise' }, '2026-12-03T09:00:00Z');
    await attributesOf({ plan: 'enterprise', region: 'eu' });
    await updated({ plan: 'free' }, '2026-12-02T09:00:00Z');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const listed = await call(`/orgs?prefix=${orgId}&plan=enterprise`, { token: admin });
    expect(listed.body.orgs).toEqual([
      expect.objectContaining({ org_id: orgId, attributes: { plan: 'enterprise', region: 'eu' } }),
    ]);

    const put = await call(`/orgs/${orgId}/attributes`, {
      method: 'PUT',
      token: admin,
      body: JSON.stringify({ attributes: { plan: 'free' } }),
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ attributes: { plan: 'free' }, attributes_by: 'local-admin' });
    expect(put.body.attribute_changes.map((change: { source: string }) => change.source)).toEqual(['admin', 'event']);
  });

  it('serves each role what it may see, over HTTP with real tokens', async () => {
    const orgId = newOrgId();
    expect((await call(`/orgs/${orgId}/provision`, { method: 'POST', token: admin })).status).toBe(201);
    const own = await tokenFor(stack, '--role', 'org', '--org', orgId);
    const stranger = await tokenFor(stack, '--role', 'org', '--org', newOrgId());
    const service = await tokenFor(stack, '--role', 'service');

    const ownView = await call(`/org-feature-flags/${orgId}`, { token: own });
    expect(ownView.status).toBe(200);
    const internalKeys = registry.flags.filter((flag) => flag.internal_only).map((flag) => flag.key);
    expect(internalKeys.length).toBeGreaterThan(0);
    expect(ownView.body.flags.map((flag: { key: string }) => flag.key)).toEqual(
      registry.flags.filter((flag) => !flag.internal_only).map((flag) => flag.key),
    );
    expect((await call(`/org-feature-flags/${orgId}`, { token: stranger })).status).toBe(404);
    expect((await call(`/org-feature-flags/${orgId}`, { token: service })).body.flags).toHaveLength(
      registry.flags.length,
    );

    const write = JSON.stringify({ org_id: orgId, key: 'chat', enabled: true });
    expect((await call('/org-feature-flags', { method: 'POST', token: service, body: write })).status).toBe(403);
    expect((await call('/org-feature-flags', { method: 'POST', token: own, body: write })).status).toBe(403);
    expect((await call('/org-feature-flags', { method: 'POST', body: write })).status).toBe(401);
    expect((await call(`/org-feature-flags/${orgId}`)).status).toBe(401);
    expect((await call(`/org-feature-flags/${orgId}`, { token: `${admin.slice(0, -4)}AAAA` })).status).toBe(401);
  });

  it('answers bad input with a 4xx JSON error and never a 500', async () => {
    const orgId = newOrgId();
    await call(`/orgs/${orgId}/provision`, { method: 'POST', token: admin });
    const cases: Array<[string, Parameters<typeof call>[1] & { path?: string }, number, string]> = [
      [
        'unknown key',
        { body: JSON.stringify({ org_id: orgId, key: 'no-such-flag', enabled: true }) },
        400,
        'unknown_flag',
      ],
      ['malformed JSON', { body: '{"org_id":' }, 400, 'malformed_json'],
      ['wrong types', { body: JSON.stringify({ org_id: orgId, key: 'chat', enabled: 'yes' }) }, 400, 'invalid_request'],
      ['bad org id', { body: JSON.stringify({ org_id: 'a b', key: 'chat', enabled: true }) }, 400, 'invalid_request'],
      ['not JSON', { body: 'enabled=true', contentType: 'text/plain' }, 415, 'unsupported_media_type'],
      [
        'too large',
        { body: JSON.stringify({ org_id: orgId, key: 'chat', enabled: true, pad: 'x'.repeat(20_000) }) },
        413,
        'payload_too_large',
      ],
      [
        'unknown org',
        { body: JSON.stringify({ org_id: newOrgId(), key: 'chat', enabled: true }) },
        404,
        'org_not_found',
      ],
    ];
    for (const [name, init, status, code] of cases) {
      const response = await call('/org-feature-flags', { method: 'POST', token: admin, ...init });
      expect({ name, status: response.status, code: response.body?.error?.code }).toEqual({ name, status, code });
      expect(JSON.stringify(response.body)).not.toMatch(/at .*\.(ts|js):\d+/);
    }
    const unknownKey = await call('/org-feature-flags', { method: 'POST', token: admin, body: cases[0]![1].body! });
    for (const flag of registry.flags) expect(unknownKey.body.error.message).toContain(flag.key);
    expect((await call('/org-feature-flags/not%20valid', { token: admin })).status).toBe(400);
    expect((await call(`/org-feature-flags/${newOrgId()}`, { token: admin })).status).toBe(404);
  });

  it('keeps a value set after provisioning when OrgCreated is delivered again', async () => {
    const orgId = newOrgId();
    await publishOrgCreated({ org_id: orgId });
    await waitFor(
      async () => ((await call(`/org-feature-flags/${orgId}`, { token: admin })).status === 200 ? true : undefined),
      2_000,
    );
    const set = await call('/org-feature-flags', {
      method: 'POST',
      token: admin,
      body: JSON.stringify({ org_id: orgId, key: 'composer', enabled: false }),
    });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ changed: true, flag: { key: 'composer', user_enabled: false, source: 'admin' } });

    await publishOrgCreated({ org_id: orgId });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const after = await call(`/org-feature-flags/${orgId}`, { token: admin });
    expect(after.body.flags.find((flag: { key: string }) => flag.key === 'composer')).toMatchObject({
      user_enabled: false,
      source: 'admin',
    });
  });

  it('writes exactly one row per flag for twenty concurrent deliveries of one OrgCreated', async () => {
    const orgId = newOrgId();
    const entry = { Source: 'org-service', DetailType: 'OrgCreated', Detail: JSON.stringify({ org_id: orgId }) };
    const results = await Promise.all(
      [0, 1].map(() => events.send(new PutEventsCommand({ Entries: Array.from({ length: 10 }, () => entry) }))),
    );
    expect(results.map((result) => result.FailedEntryCount)).toEqual([0, 0]);
    await waitFor(
      async () => ((await call(`/org-feature-flags/${orgId}`, { token: admin })).status === 200 ? true : undefined),
      2_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));

    const dynamo = new DynamoDBClient({
      endpoint: `http://127.0.0.1:${stack.env.DYNAMODB_PORT}`,
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const items = await dynamo.send(
      new QueryCommand({
        TableName: 'org-feature-flags',
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: `ORG#${orgId}` } },
      }),
    );
    dynamo.destroy();
    const sortKeys = (items.Items ?? []).map((item) => item.sk?.S).sort();
    expect(sortKeys).toEqual(['#ORG', ...registry.flags.map((flag) => `FLAG#${flag.key}`).sort()]);
  });

  it('retries a malformed event and then keeps it as a dead letter', async () => {
    const marker = randomUUID();
    const published = await publishOrgCreated({ org_id: 'not/valid', marker });
    expect(published.FailedEntryCount).toBe(0);
    const file = path.join(stack.dataDir, 'dead-letters.jsonl');
    const letter = await waitFor(async () => {
      const text = await readFile(file, 'utf8').catch(() => '');
      return text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line))
        .find((entry) => entry.event.detail.marker === marker);
    }, 15_000);
    expect(letter).toMatchObject({ rule: 'OrgCreated', target: 'org-created', attempts: 5 });
    expect(letter.error).toContain('org_id');
  }, 20_000);

  it('rejects a PutEvents entry whose detail is not JSON, as EventBridge does', async () => {
    const result = await events.send(
      new PutEventsCommand({ Entries: [{ Source: 'org-service', DetailType: 'OrgCreated', Detail: '{nope' }] }),
    );
    expect(result.FailedEntryCount).toBe(1);
    expect(result.Entries?.[0]?.ErrorCode).toBe('MalformedDetail');
  });

  it('keeps its data across a restart on the same data directory', async () => {
    const orgId = newOrgId();
    await call(`/orgs/${orgId}/provision`, { method: 'POST', token: admin });
    await call('/org-feature-flags', {
      method: 'POST',
      token: admin,
      body: JSON.stringify({ org_id: orgId, key: 'chat', enabled: true }),
    });
    await stack.stop();
    stack = await startLocalStackProcess({ dataDir: stack.dataDir });
    events.destroy();
    events = new EventBridgeClient({
      endpoint: stack.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const after = await call(`/org-feature-flags/${orgId}`, { token: admin });
    expect(after.status).toBe(200);
    expect(after.body.flags.find((flag: { key: string }) => flag.key === 'chat')).toMatchObject({
      user_enabled: true,
      source: 'admin',
    });
  }, 90_000);
});
