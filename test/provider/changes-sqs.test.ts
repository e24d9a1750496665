import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import { describe, expect, it } from '@jest/globals';
import type { SQSEvent } from 'aws-lambda';
import { orgIdOfChange } from '../../provider/src/changes.js';
import { OrgFeatureFlagsProvider } from '../../provider/src/provider.js';
import { invalidateFromSqsEvent, pollQueue } from '../../provider/src/sqs.js';
import changeFixture from './fixtures/feature-flag-changed.json' with { type: 'json' };
import sqsFixture from './fixtures/sqs-event.json' with { type: 'json' };
import { TOKEN, delay, recordingLogger, startFakeService } from './ofrep-server.js';

const sqsEvent: SQSEvent = sqsFixture as SQSEvent;

/** An invalidate that records its calls and settles each one only when `release` is called. */
function recordingInvalidator() {
  const calls: string[] = [];
  let settled = 0;
  const waiting: (() => void)[] = [];
  return {
    calls,
    get settled() {
      return settled;
    },
    release() {
      for (const resolve of waiting.splice(0)) resolve();
    },
    invalidate(orgId: string): Promise<void> {
      calls.push(orgId);
      return new Promise<void>((resolve) => waiting.push(resolve)).then(() => {
        settled += 1;
      });
    },
  };
}

describe('orgIdOfChange', () => {
  it('reads the org of a FeatureFlagChanged event, as an object or as JSON', () => {
    expect(orgIdOfChange(changeFixture)).toBe('acme');
    expect(orgIdOfChange(JSON.stringify(changeFixture))).toBe('acme');
  });

  it('is undefined for anything else', () => {
    const other = (patch: Record<string, unknown>) => ({ ...changeFixture, ...patch });
    for (const event of [
      other({ 'detail-type': 'OrgCreated' }),
      other({ source: 'someone-else' }),
      other({ detail: { ...changeFixture.detail, org_id: '' } }),
      other({ detail: { ...changeFixture.detail, org_id: 42 } }),
      other({ detail: 'acme' }),
      '{not json',
      'null',
      null,
      undefined,
      42,
      [changeFixture],
    ]) {
      expect(orgIdOfChange(event)).toBeUndefined();
    }
  });
});

describe('invalidateFromSqsEvent', () => {
  it('invalidates each org of the batch once, awaits the revalidations, and skips unreadable records without failing them', async () => {
    const invalidator = recordingInvalidator();
    const log = recordingLogger();
    let answered = false;
    const pending = invalidateFromSqsEvent(invalidator, sqsEvent, { logger: log }).then((answer) => {
      answered = true;
      return answer;
    });
    await delay(20);
    expect(invalidator.calls.sort()).toEqual(['acme', 'globex']);
    expect(answered).toBe(false);
    invalidator.release();
    await expect(pending).resolves.toEqual({ batchItemFailures: [] });
    expect(invalidator.settled).toBe(2);
    expect(log.lines.warn).toEqual([
      'org-feature-flags: message m-4 is not a FeatureFlagChanged event; skipped',
      'org-feature-flags: message m-5 is not a FeatureFlagChanged event; skipped',
    ]);
  });

  it('refreshes a real provider from the batch', async () => {
    const service = await startFakeService({ acme: { chat: { value: false } }, globex: { export: { value: false } } });
    const provider = new OrgFeatureFlagsProvider({ baseUrl: service.url, token: TOKEN, logger: recordingLogger() });
    try {
      await provider.resolveBooleanEvaluation('chat', true, { targetingKey: 'acme' });
      service.setFlag('acme', 'chat', true);
      await invalidateFromSqsEvent(provider, sqsEvent, { logger: recordingLogger() });
      await expect(provider.resolveBooleanEvaluation('chat', false, { targetingKey: 'acme' })).resolves.toMatchObject({
        value: true,
        reason: 'TARGETING_MATCH',
      });
      expect(service.requests.map((request) => request.orgId)).toEqual(['acme', 'acme']);
    } finally {
      await provider.onClose();
      await service.stop();
    }
  });
});

type Sent = { command: unknown; abortSignal: AbortSignal | undefined };

/** An SQS client answering receives from `receives` in turn (a function may throw), recording what is sent. */
function fakeSqsClient(receives: ((signal: AbortSignal | undefined) => Promise<Message[]>)[]): {
  client: SQSClient;
  sent: Sent[];
} {
  const sent: Sent[] = [];
  const client = {
    async send(command: unknown, options?: { abortSignal?: AbortSignal }) {
      sent.push({ command, abortSignal: options?.abortSignal });
      if (command instanceof DeleteMessageBatchCommand) {
        const entries = command.input.Entries ?? [];
        return {
          Successful: entries.slice(1).map((entry) => ({ Id: entry.Id })),
          Failed: entries
            .slice(0, 1)
            .map((entry) => ({ Id: entry.Id, Code: 'ReceiptHandleIsInvalid', SenderFault: true })),
        };
      }
      const next = receives.shift();
      if (!next) return new Promise(() => {});
      return { Messages: await next(options?.abortSignal) };
    },
  };
  return { client: client as unknown as SQSClient, sent };
}

function messagesOf(event: SQSEvent): Message[] {
  return event.Records.map((record) => ({
    MessageId: record.messageId,
    ReceiptHandle: record.receiptHandle,
    Body: record.body,
  }));
}

describe('pollQueue', () => {
  it('receives, invalidates, deletes, backs off after an error, and stops when aborted', async () => {
    const controller = new AbortController();
    const invalidated: string[] = [];
    const log = recordingLogger();
    const times: number[] = [];
    const { client, sent } = fakeSqsClient([
      async () => {
        times.push(Date.now());
        return messagesOf(sqsEvent);
      },
      async () => {
        times.push(Date.now());
        throw new Error('throttled');
      },
      async () => {
        times.push(Date.now());
        return [];
      },
      (signal) =>
        new Promise((_, reject) => {
          times.push(Date.now());
          signal?.addEventListener('abort', () => reject(new Error('aborted')));
          controller.abort();
        }),
    ]);
    const provider = {
      async invalidate(orgId: string) {
        invalidated.push(orgId);
      },
    };
    await pollQueue(provider, {
      client,
      queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/changes',
      signal: controller.signal,
      logger: log,
    });

    expect(invalidated.sort()).toEqual(['acme', 'globex']);
    const receive = sent[0]!;
    expect(receive.command).toBeInstanceOf(ReceiveMessageCommand);
    expect((receive.command as ReceiveMessageCommand).input).toEqual({
      QueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/changes',
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 20,
    });
    expect(receive.abortSignal).toBe(controller.signal);
    const deletion = sent[1]!.command;
    expect(deletion).toBeInstanceOf(DeleteMessageBatchCommand);
    expect((deletion as DeleteMessageBatchCommand).input.Entries).toEqual(
      sqsEvent.Records.map((record, index) => ({ Id: String(index), ReceiptHandle: record.receiptHandle })),
    );
    expect(sent.map((item) => (item.command as object).constructor.name)).toEqual([
      'ReceiveMessageCommand',
      'DeleteMessageBatchCommand',
      'ReceiveMessageCommand',
      'ReceiveMessageCommand',
      'ReceiveMessageCommand',
    ]);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(990);
    expect(log.lines.error).toHaveLength(1);
    expect(log.lines.error[0]).toContain('trying again in 1000 ms');
    expect(log.lines.warn).toHaveLength(3);
    expect(log.lines.warn[2]).toContain('could not delete message 0');
  });

  it('stops during a backoff wait when aborted', async () => {
    const controller = new AbortController();
    const { client } = fakeSqsClient([
      async () => {
        throw new Error('network down');
      },
    ]);
    const start = Date.now();
    const polling = pollQueue(
      { invalidate: async () => undefined },
      { client, queueUrl: 'q', signal: controller.signal, logger: recordingLogger() },
    );
    await delay(100);
    controller.abort();
    await polling;
    expect(Date.now() - start).toBeLessThan(900);
  });

  it('abandons a long poll under way of a real SQS client when aborted', async () => {
    let received = 0;
    const server = createServer(() => {
      received += 1;
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = new SQSClient({
      region: 'eu-west-1',
      endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    try {
      const controller = new AbortController();
      const polling = pollQueue(
        { invalidate: async () => undefined },
        { client, queueUrl: `${endpoint}/123456789012/changes`, signal: controller.signal, logger: recordingLogger() },
      );
      // The poll is under way once the server holds its request (the client's first call takes a while to set up).
      const deadline = Date.now() + 10_000;
      while (received === 0 && Date.now() < deadline) await delay(10);
      expect(received).toBe(1);
      const aborted = Date.now();
      controller.abort();
      await polling;
      expect(received).toBe(1);
      expect(Date.now() - aborted).toBeLessThan(1_000);
    } finally {
      client.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('resolves at once with a signal already aborted', async () => {
    const { client, sent } = fakeSqsClient([]);
    await pollQueue({ invalidate: async () => undefined }, { client, queueUrl: 'q', signal: AbortSignal.abort() });
    expect(sent).toHaveLength(0);
  });
});
