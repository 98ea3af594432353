/**
 * Talks to a millrace server with Node's global fetch, and turns its error
 * bodies back into the typed errors the library throws, so a command fails
 * the same way over HTTP as when it opens the database itself.
 */
import type { z } from 'zod';
import type { BridgeStatus } from '../../bridge/bridge-status.js';
import type { DeliveryFilter } from '../../core/contracts/deliveries.js';
import type { StartFromInput } from '../../core/consumer/options.js';
import type { ReadPage } from '../../core/contracts/log.js';
import type { DeadLetterQuery } from '../../core/deliveries/dead-letters.js';
import {
  DeadLetterList,
  DeliveryJson,
  DiscardedResponse,
  RetriedResponse,
} from '../../server/wire/dead-letters.js';
import { ResetResponse } from '../../server/wire/reset.js';
import { BridgeJson } from '../../server/wire/bridges.js';
import type { PruneResult } from '../../core/contracts/retention.js';
import type { PruneOptions } from '../../core/retention/prune-options.js';
import { ConnectionError, MillraceError, type ErrorCode } from '../../core/errors.js';
import type { PublishInput, PublishResult } from '../../core/event.js';
import type { Position } from '../../core/position.js';
import { describeSequence, toSequence } from '../../core/sequence.js';
import type { ConsumerStatus, ScheduledOptions } from '../../millrace.js';
import { MAX_WAIT_MS } from '../../server/wire/requests.js';
import { PruneResponse } from '../../server/wire/prune.js';
import {
  ConsumerJson,
  ConsumersResponse,
  EndResponse,
  ErrorResponse,
  PublishResponse,
  ReadResponse,
  CancelResponse,
  ScheduledResponse,
} from '../../server/wire/responses.js';
import type { NewKeyOptions } from '../../core/keys/api-keys.js';
import {
  CreatedKeyJson,
  KeysResponse,
  RevokeKeyResponse,
  type KeyJson,
} from '../../server/wire/keys.js';
import type { ClientReadOptions, MillraceClient, ScheduledList } from './client.js';

const ERROR_CODES: readonly string[] = [
  'validation',
  'conflict',
  'connection',
  'not_found',
  'fenced',
  'unsupported',
  'closed',
  'timeout',
  'unauthorized',
  'forbidden',
  'overloaded',
] satisfies ErrorCode[];

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { message?: unknown } }).cause;
  return typeof cause?.message === 'string' ? cause.message : String(error);
}

// A proxy, or a server draining before it stops: worth trying again shortly.
const UNAVAILABLE = new Set([502, 503, 504]);

function errorFrom(base: string, status: number, body: unknown, text: string): Error {
  const parsed = ErrorResponse.safeParse(body);
  if (!parsed.success && UNAVAILABLE.has(status)) {
    return new ConnectionError(`the millrace server at ${base} is unavailable (HTTP ${status})`);
  }
  if (!parsed.success) return new Error(`the server answered ${status}: ${text.slice(0, 200)}`);
  const { code, reason, message, retriable, details } = parsed.data.error;
  if (!ERROR_CODES.includes(code)) return new Error(`the server answered ${status}: ${message}`);
  return new MillraceError(code as ErrorCode, message, retriable ?? false, { reason, details });
}

export class HttpClient implements MillraceClient {
  private readonly base: string;

  /** `apiKey`: sent as `Authorization: Bearer`, for a server with keys in force. */
  constructor(
    readonly description: string,
    private readonly apiKey?: string,
  ) {
    this.base = description.replace(/\/+$/, '');
  }

  createKey(options: NewKeyOptions): Promise<CreatedKeyJson> {
    return this.postJson(CreatedKeyJson, '/v1/keys', options);
  }

  async listKeys(): Promise<KeyJson[]> {
    return (await this.request(KeysResponse, '/v1/keys')).keys;
  }

  async revokeKey(id: string): Promise<void> {
    await this.request(RevokeKeyResponse, `/v1/keys/${encodeURIComponent(id)}`, {
      method: 'DELETE',
    });
  }

  async publish(event: PublishInput): Promise<PublishResult> {
    const [published] = await this.post(event);
    return published as PublishResult;
  }

  publishBatch(events: readonly PublishInput[]): Promise<PublishResult[]> {
    return events.length === 0 ? Promise.resolve([]) : this.post({ events });
  }

  scheduled(options: ScheduledOptions): Promise<ScheduledList> {
    const query = new URLSearchParams();
    if (options.stream !== undefined) query.set('stream', options.stream);
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    if (options.after !== undefined) query.set('after', options.after);
    return this.request(ScheduledResponse, `/v1/scheduled?${query.toString()}`);
  }

  async resetConsumer(name: string, to: StartFromInput): Promise<void> {
    const body =
      typeof to === 'object' && 'time' in to ? { to: { time: to.time.toISOString() } } : { to };
    await this.postJson(ResetResponse, `/v1/consumers/${encodeURIComponent(name)}/reset`, body);
  }

  deadLetters(query: DeadLetterQuery): Promise<DeadLetterList> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined)
        params.set(key, value instanceof Date ? value.toISOString() : `${value}`);
    }
    return this.request(DeadLetterList, `/v1/dead-letters?${params.toString()}`);
  }

  deadLetter(consumer: string, eventId: string): Promise<DeliveryJson> {
    const path = `/v1/dead-letters/${encodeURIComponent(consumer)}/${encodeURIComponent(eventId)}`;
    return this.request(DeliveryJson, path);
  }

  async retryDeadLetters(filter: DeliveryFilter): Promise<number> {
    return (await this.postJson(RetriedResponse, '/v1/dead-letters/retry', filter)).retried;
  }

  async discardDeadLetters(filter: DeliveryFilter): Promise<number> {
    return (await this.postJson(DiscardedResponse, '/v1/dead-letters/discard', filter)).discarded;
  }

  private postJson<Schema extends z.ZodType>(
    schema: Schema,
    path: string,
    body: unknown,
  ): Promise<z.output<Schema>> {
    return this.request(schema, path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  async cancelScheduled(id: string): Promise<boolean> {
    const path = `/v1/scheduled/${encodeURIComponent(id)}`;
    return (await this.request(CancelResponse, path, { method: 'DELETE' })).cancelled;
  }

  read(options: ClientReadOptions): Promise<ReadPage> {
    return this.waitForEvents(options, 0);
  }

  waitForEvents(options: ClientReadOptions, waitMs: number, signal?: AbortSignal) {
    const query = new URLSearchParams({
      sequence: describeSequence(toSequence(options.sequence ?? 'log')),
    });
    if (options.after !== undefined) query.set('after', options.after);
    if (options.limit !== undefined) query.set('limit', String(options.limit));
    if (options.subjects !== undefined && options.subjects.length > 0) {
      query.set('subjects', options.subjects.join(','));
    }
    if (waitMs > 0) query.set('wait', String(Math.min(waitMs, MAX_WAIT_MS)));
    return this.request(ReadResponse, `/v1/events?${query.toString()}`, { signal });
  }

  async end(): Promise<Position> {
    return (await this.request(EndResponse, '/v1/end')).position;
  }

  consumerStatus(name: string): Promise<ConsumerStatus> {
    return this.request(ConsumerJson, `/v1/consumers/${encodeURIComponent(name)}`);
  }

  async consumerStatuses(): Promise<ConsumerStatus[]> {
    return (await this.request(ConsumersResponse, '/v1/consumers')).consumers;
  }

  bridgeStatus(name: string): Promise<BridgeStatus> {
    return this.request(BridgeJson, `/v1/bridges/${encodeURIComponent(name)}`);
  }

  prune(options: PruneOptions): Promise<PruneResult> {
    return this.request(PruneResponse, '/v1/prune', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(options),
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private async post(body: unknown): Promise<PublishResult[]> {
    const response = await this.request(PublishResponse, '/v1/events', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return response.events;
  }

  private async request<Schema extends z.ZodType>(
    schema: Schema,
    path: string,
    init: RequestInit = {},
  ): Promise<z.output<Schema>> {
    let response: Response;
    try {
      const headers = new Headers(init.headers);
      if (this.apiKey !== undefined) headers.set('authorization', `Bearer ${this.apiKey}`);
      response = await fetch(`${this.base}${path}`, { ...init, headers });
    } catch (error) {
      if (init.signal?.aborted) throw error;
      throw new ConnectionError(
        `cannot reach the millrace server at ${this.base}: ${causeOf(error)}`,
        {
          cause: error,
        },
      );
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!response.ok) throw errorFrom(this.base, response.status, body, text);
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      throw new Error(`unexpected answer from ${this.base}${path}; is it a millrace server?`);
    }
    return parsed.data;
  }
}
