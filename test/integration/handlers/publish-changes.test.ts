import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { changeIdOf } from '../../../lambdas/domain/history.js';
import { handler } from '../../../lambdas/handlers/publish-changes.js';
import { loadOrCreateKeys } from '../../../lib/local/auth.js';
import { LocalEventBus } from '../../../lib/local/event-bus.js';
import { EventLog } from '../../../lib/local/event-log.js';
import type { EventBridgeEvent } from '../../../lib/local/put-events.js';
import { startLocalServer } from '../../../lib/local/server.js';
import { eventRules } from '../../../lib/service/rules.js';
import { lambdaContext } from '../../support/events.js';

/*
 * The publisher, invoked as Lambda invokes it from the table's stream, publishing with the real
 * EventBridge client to the local stack's PutEvents endpoint (lib/local/server.ts and its bus,
 * which records every event it accepts). Between the two sits a pass-through that can refuse
 * chosen entries or whole calls, as EventBridge does under throttling or an outage, which the
 * local endpoint never does by itself.
 */

const template = JSON.parse(
  readFileSync(new URL('../../fixtures/events/history-insert-record.json', import.meta.url), 'utf8'),
) as DynamoDBRecord;
const rowModify = JSON.parse(
  readFileSync(new URL('../../fixtures/events/flag-row-modify-record.json', import.meta.url), 'utf8'),
) as DynamoDBRecord;

let sequence = 0;
const nextSequence = () => String(++sequence).padStart(21, '0');

/** The stream record of the n-th change of org `org`: chat flipped, at second n. */
function historyRecord(org: string, n: number): DynamoDBRecord {
  const record = structuredClone(template);
  const at = new Date(Date.UTC(2026, 10, 23, 10, 0, n)).toISOString();
  const sk = `${at}#chat#${1795300000000 + n}`;
  const image = record.dynamodb?.NewImage as Record<string, unknown>;
  delete image.change_id;
  Object.assign(image, {
    pk: { S: `HIST#${org}` },
    sk: { S: sk },
    org_id: { S: org },
    enabled: { BOOL: n % 2 === 1 },
    previous_enabled: { BOOL: n % 2 === 0 },
    version: { N: String(1795300000000 + n) },
    changed_at: { S: at },
  });
  record.dynamodb = {
    ...record.dynamodb,
    Keys: { pk: { S: `HIST#${org}` }, sk: { S: sk } },
    SequenceNumber: nextSequence(),
  };
  return record;
}

function otherRecord(): DynamoDBRecord {
  return { ...structuredClone(rowModify), dynamodb: { ...rowModify.dynamodb, SequenceNumber: nextSequence() } };
}

/** The change id each history record's event must carry. */
const changeIdOfRecord = (record: DynamoDBRecord) => {
  const image = record.dynamodb?.NewImage ?? {};
  return changeIdOf(String(image.org_id?.S), String(image.sk?.S));
};

const invoke = (records: DynamoDBRecord[]) =>
  handler({ Records: records } as DynamoDBStreamEvent, lambdaContext('publish-changes'));
const sequencesOf = (records: DynamoDBRecord[]) =>
  records.map((record) => ({ itemIdentifier: record.dynamodb?.SequenceNumber }));

let dir: string;
let eventLog: string;
let local: Awaited<ReturnType<typeof startLocalServer>>;
let proxy: Server;
/** Per PutEvents call that reached the proxy: the change ids of its entries. */
let calls: string[][] = [];
/** Change ids whose entries are refused; calls answered 500 while `outage` is on. */
const faults = { refuse: new Set<string>(), outage: false };

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'off-publish-'));
  eventLog = path.join(dir, 'events.jsonl');
  const bus = new LocalEventBus({
    rules: eventRules(),
    targets: {},
    deadLetterFile: path.join(dir, 'dead-letters.jsonl'),
    eventLog: new EventLog(eventLog),
  });
  local = await startLocalServer({ port: 0, routes: [], handlers: {}, keys: await loadOrCreateKeys(dir), bus });
  proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Entries: { Detail: string }[] };
      const ids = request.Entries.map((entry) => (JSON.parse(entry.Detail) as { change_id: string }).change_id);
      calls.push(ids);
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify(body));
      };
      if (faults.outage) return reply(500, { __type: 'InternalException', message: 'injected outage' });
      const kept = request.Entries.filter((_entry, index) => !faults.refuse.has(ids[index] as string));
      const forwarded = await fetch(local.url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': String(req.headers['x-amz-target']) },
        body: JSON.stringify({ ...request, Entries: kept }),
      });
      const answer = (await forwarded.json()) as { FailedEntryCount: number; Entries: unknown[] };
      const results = [...answer.Entries];
      const entries = ids.map((id) =>
        faults.refuse.has(id) ? { ErrorCode: 'ThrottlingException', ErrorMessage: 'injected' } : results.shift(),
      );
      reply(200, { FailedEntryCount: answer.FailedEntryCount + (ids.length - kept.length), Entries: entries });
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  process.env.EVENT_BUS_NAME = 'org-bus-test';
  process.env.EVENTBRIDGE_ENDPOINT = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => proxy?.close(resolve));
  await local?.close();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  calls = [];
  faults.refuse.clear();
  faults.outage = false;
  await rm(eventLog, { force: true });
});

async function published(): Promise<EventBridgeEvent[]> {
  const text = await readFile(eventLog, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as EventBridgeEvent);
}

describe('publish-changes (the table stream to the org bus)', () => {
  it('publishes one FeatureFlagChanged per history entry, in order, ten per PutEvents call, and skips other records', async () => {
    const org = 'acme-ok';
    const changes = Array.from({ length: 21 }, (_, n) => historyRecord(org, n + 1));
    const records = [otherRecord(), ...changes.slice(0, 12), otherRecord(), ...changes.slice(12)];

    expect(await invoke(records)).toEqual({ batchItemFailures: [] });

    expect(calls.map((call) => call.length)).toEqual([10, 10, 1]);
    const events = await published();
    expect(events.map((event) => event.detail.change_id)).toEqual(changes.map(changeIdOfRecord));
    const first = events[0] as EventBridgeEvent;
    expect(first).toMatchObject({
      source: 'org-feature-flags',
      'detail-type': 'FeatureFlagChanged',
      time: '2026-11-23T10:00:01Z',
    });
    expect(first.detail).toEqual({
      change_id: changeIdOfRecord(changes[0] as DynamoDBRecord),
      org_id: org,
      key: 'chat',
      previous_enabled: false,
      enabled: true,
      version: 1795300000001,
      source: 'admin',
      changed_by: 'admin-user-1',
      changed_by_email: 'ada@example.com',
      changed_at: '2026-11-23T10:00:01.000Z',
      request_id: 'c0a8012e-6f1b-4c1e-9d1e-3b7f5a2c9e10',
    });
  });

  it('reports the refused entry and every record after it, in order; the retry publishes them, and a repeat carries the same change_id', async () => {
    const org = 'acme-refused';
    const changes = Array.from({ length: 25 }, (_, n) => historyRecord(org, n + 1));
    const records = [...changes.slice(0, 14), otherRecord(), ...changes.slice(14)];
    const refused = changes[12] as DynamoDBRecord;
    faults.refuse.add(changeIdOfRecord(refused));

    const response = await invoke(records);

    const from = records.indexOf(refused);
    expect(response).toEqual({ batchItemFailures: sequencesOf(records.slice(from)) });
    // The call holding the refused entry went out whole; the one after it was never made.
    expect(calls.map((call) => call.length)).toEqual([10, 10]);
    const before = (await published()).map((event) => event.detail.change_id);
    expect(before).toEqual([...changes.slice(0, 12), ...changes.slice(13, 20)].map(changeIdOfRecord));

    // Lambda retries from the first failed record.
    faults.refuse.clear();
    expect(await invoke(records.slice(from))).toEqual({ batchItemFailures: [] });
    const events = await published();
    const ids = events.map((event) => String(event.detail.change_id));
    expect(new Set(ids)).toEqual(new Set(changes.map(changeIdOfRecord)));
    const repeated = changes.slice(13, 20).map(changeIdOfRecord);
    expect(ids.filter((id) => repeated.includes(id))).toHaveLength(2 * repeated.length);
    for (const id of repeated) {
      const copies = events.filter((event) => event.detail.change_id === id).map((event) => event.detail);
      expect(copies[1]).toEqual(copies[0]);
    }
  });

  it('reports the whole rest of the batch when PutEvents itself fails, from the first record of the failed call', async () => {
    const org = 'acme-outage';
    const changes = Array.from({ length: 12 }, (_, n) => historyRecord(org, n + 1));
    const records = [otherRecord(), ...changes];
    faults.outage = true;

    expect(await invoke(records)).toEqual({ batchItemFailures: sequencesOf(changes) });
    expect(await published()).toEqual([]);
    // The client's own retries (three attempts) happened before the record was given up.
    expect(calls.length).toBe(3);
  });

  it('publishes the changes before a malformed history entry, then reports it and everything after it', async () => {
    const org = 'acme-malformed';
    const changes = Array.from({ length: 4 }, (_, n) => historyRecord(org, n + 1));
    const broken = changes[2] as DynamoDBRecord;
    delete broken.dynamodb?.NewImage?.enabled;
    const unparseable = { ...otherRecord(), dynamodb: { SequenceNumber: nextSequence() } } as DynamoDBRecord;

    expect(await invoke(changes)).toEqual({ batchItemFailures: sequencesOf(changes.slice(2)) });
    expect((await published()).map((event) => event.detail.change_id)).toEqual(
      changes.slice(0, 2).map(changeIdOfRecord),
    );

    await rm(eventLog, { force: true });
    const records = [historyRecord(org, 10), unparseable, historyRecord(org, 11)];
    expect(await invoke(records)).toEqual({ batchItemFailures: sequencesOf(records.slice(1)) });
    expect(await published()).toHaveLength(1);
  });
});
