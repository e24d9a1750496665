import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the fake service received. */
export interface RecordedRequest {
  readonly orgId: string | undefined;
  readonly ifNoneMatch: string | undefined;
  readonly authorization: string | undefined;
  readonly contentType: string | undefined;
  readonly at: number;
}

/** An answer that replaces the contract's for every request while set. */
export interface Override {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** One org's flags in the fake: `own` flags have a row (TARGETING_MATCH), the others are registry defaults. */
export type OrgFlags = Record<string, { value: boolean; own?: boolean; version?: number }>;

export const TOKEN = 'test-token';
export const REGISTRY_VERSION = 'ab12cd34';

/**
 * A `node:http` server speaking the OFREP bulk contract of org-feature-flags: counts requests,
 * answers 304 to a matching `If-None-Match`, 400 to an unknown org, 401 to another token, and
 * whatever {@link FakeService.override} says while it is set.
 */
export class FakeService {
  readonly orgs = new Map<string, OrgFlags>();
  readonly requests: RecordedRequest[] = [];
  override: Override | undefined;
  /** Delay before answering, in milliseconds. */
  delayMs = 0;
  /** Failure items added to every 200 answer. */
  failedKeys: string[] = [];
  private server: Server | undefined;
  private port = 0;
  /** Pending delays, ended early by stop(). */
  private readonly delays = new Set<() => void>();

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Requests for `orgId` (all requests without it). */
  requestsFor(orgId?: string): RecordedRequest[] {
    return orgId === undefined ? this.requests : this.requests.filter((request) => request.orgId === orgId);
  }

  setOrg(orgId: string, flags: OrgFlags): void {
    this.orgs.set(orgId, flags);
  }

  setFlag(orgId: string, key: string, value: boolean): void {
    const flags = this.orgs.get(orgId) ?? {};
    const version = (flags[key]?.version ?? 0) + 1;
    flags[key] = { value, own: true, version };
    this.orgs.set(orgId, flags);
  }

  etagOf(orgId: string): string {
    return `"${createHash('sha256')
      .update(JSON.stringify(this.orgs.get(orgId) ?? null))
      .digest('base64url')
      .slice(0, 16)}"`;
  }

  /** Listens (again on the same port when it did before). */
  async start(): Promise<this> {
    const server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  /** Stops listening and drops open connections: requests then fail to connect. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const end of this.delays) end();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const end = () => {
        clearTimeout(timer);
        this.delays.delete(end);
        resolve();
      };
      const timer = setTimeout(end, ms);
      this.delays.add(end);
    });
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const orgId = (body as { context?: { targetingKey?: unknown } } | undefined)?.context?.targetingKey;
    this.requests.push({
      orgId: typeof orgId === 'string' ? orgId : undefined,
      ifNoneMatch: request.headers['if-none-match'],
      authorization: request.headers.authorization,
      contentType: request.headers['content-type'],
      at: Date.now(),
    });
    if (this.delayMs > 0) await this.wait(this.delayMs);
    if (response.destroyed) return;
    const answer = this.answer(request, body, orgId);
    response.writeHead(answer.status, {
      ...(answer.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...answer.headers,
    });
    response.end(answer.body);
  }

  private answer(request: IncomingMessage, body: unknown, orgId: unknown): Override {
    if (request.method !== 'POST' || request.url !== '/ofrep/v1/evaluate/flags') return { status: 404 };
    if (request.headers.authorization !== `Bearer ${TOKEN}`) return { status: 401 };
    if (this.override) return this.override;
    if (body === undefined) return error('PARSE_ERROR', 'the body is not JSON');
    if (typeof orgId !== 'string' || orgId === '')
      return error('TARGETING_KEY_MISSING', 'context.targetingKey is required');
    const flags = this.orgs.get(orgId);
    if (!flags) return error('INVALID_CONTEXT', `unknown org ${orgId}`);
    const etag = this.etagOf(orgId);
    if (request.headers['if-none-match'] === etag) return { status: 304, headers: { etag } };
    const items: unknown[] = Object.entries(flags).map(([key, flag]) => ({
      key,
      value: flag.value,
      reason: flag.own ? 'TARGETING_MATCH' : 'DEFAULT',
      variant: flag.value ? 'on' : 'off',
      metadata: {
        is_default: !flag.own,
        source: 'admin',
        version: flag.version ?? 0,
        registry_version: REGISTRY_VERSION,
      },
    }));
    for (const key of this.failedKeys) items.push({ key, errorCode: 'GENERAL', errorDetails: 'could not evaluate' });
    return {
      status: 200,
      headers: { etag },
      body: JSON.stringify({ flags: items, metadata: { org_id: orgId, registry_version: REGISTRY_VERSION } }),
    };
  }
}

function error(errorCode: string, errorDetails: string): Override {
  return { status: 400, body: JSON.stringify({ errorCode, errorDetails }) };
}

/** A started fake service with the orgs given. */
export async function startFakeService(orgs: Record<string, OrgFlags> = {}): Promise<FakeService> {
  const service = new FakeService();
  for (const [orgId, flags] of Object.entries(orgs)) service.setOrg(orgId, flags);
  return service.start();
}

type Level = 'error' | 'warn' | 'info' | 'debug';

/** A logger that records what it is given, one line per call. */
export interface RecordingLogger extends Record<Level, (...args: unknown[]) => void> {
  readonly lines: Record<Level, string[]>;
}

export function recordingLogger(): RecordingLogger {
  const lines: Record<Level, string[]> = { error: [], warn: [], info: [], debug: [] };
  const record =
    (level: Level) =>
    (...args: unknown[]): void => {
      lines[level].push(args.map(String).join(' '));
    };
  return { lines, error: record('error'), warn: record('warn'), info: record('info'), debug: record('debug') };
}

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` every 10 ms until it holds; rejects after `timeoutMs`. Resolves with the time it took. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 2_000): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await check()) return Date.now() - start;
    if (Date.now() - start > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await delay(10);
  }
}
