/**
 * Redis Pub/Sub as a bridge source: SUBSCRIBE for names, PSUBSCRIBE for
 * glob patterns (`*`, `?`, `[`), on a connection of its own. One server
 * sends every message to every subscriber in one order, so the leader and
 * its standbys hear the same sequence; `sync` is a PING on the subscribed
 * connection, whose PONG comes after every message sent before it.
 * ioredis reconnects with the backoff below and subscribes again.
 */
import type { Redis } from 'ioredis';
import { withOptionalClient } from '../../core/kit/optional-client.js';
import { ValidationError } from '../../core/errors.js';
import { quote } from '../../core/quote.js';
import { withoutCredentials } from '../../util/without-credentials.js';
import type { BridgeSource, SourceListener } from './source.js';

export interface RedisPubSubOptions {
  /** `redis://[user:password@]host:port[/db]`. */
  url: string;
  /** Channel names or glob patterns (at least one). */
  channels: readonly string[];
  /** First and largest wait between reconnects. @defaultValue 50, 2000 */
  reconnectMs?: { first: number; max: number };
  /** The connection's name in CLIENT LIST. @defaultValue 'millrace-bridge' */
  connectionName?: string;
}

const GLOB = /[*?[]/;

export function redisPubSub(options: RedisPubSubOptions): BridgeSource {
  return new RedisPubSubSource(options);
}

class RedisPubSubSource implements BridgeSource {
  readonly kind = 'redis';
  readonly canPause = true;
  readonly description: string;
  private client: Redis | undefined;
  private readonly names: string[];
  private readonly patterns: string[];

  constructor(private readonly options: RedisPubSubOptions) {
    let url: URL | undefined;
    try {
      url = new URL(options.url);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'redis:' && url.protocol !== 'rediss:')) {
      throw new ValidationError(`invalid Redis URL ${quote(options.url)}: use redis://host:port`, {
        reason: 'invalid_option',
      });
    }
    const channels = options.channels;
    if (channels.length === 0 || channels.some((c) => typeof c !== 'string' || c.length === 0)) {
      throw new ValidationError('a Redis source needs at least one non-empty channel', {
        reason: 'invalid_option',
      });
    }
    this.names = channels.filter((c) => !GLOB.test(c));
    this.patterns = channels.filter((c) => GLOB.test(c));
    this.description = `redis ${withoutCredentials(options.url)} ${channels.join(',')}`;
  }

  async start(listener: SourceListener): Promise<void> {
    const { createSubscriber } = await withOptionalClient(
      'redis',
      'ioredis',
      () => import('./redis-subscriber.js'),
    );
    const client = createSubscriber(
      this.options.url,
      this.options.reconnectMs ?? { first: 50, max: 2000 },
      this.options.connectionName ?? 'millrace-bridge',
    );
    this.client = client;
    client.on('messageBuffer', (channel: Buffer, message: Buffer) => {
      listener.message({ channel: channel.toString(), bytes: message });
    });
    client.on('pmessageBuffer', (pattern: string | Buffer, channel: Buffer, message: Buffer) => {
      listener.message({ channel: channel.toString(), pattern: String(pattern), bytes: message });
    });
    let down = false;
    const lost = (error?: Error) => {
      // A close asked for by close() is no loss.
      if (!down && this.client === client) listener.connection('down', error);
      down = true;
    };
    client.on('error', lost);
    client.on('close', () => lost());
    // ioredis subscribes again before it says ready after a reconnect.
    client.on('ready', () => {
      if (down) listener.connection('up');
      down = false;
    });
    await client.connect();
    if (this.names.length > 0) await client.subscribe(...this.names);
    if (this.patterns.length > 0) await client.psubscribe(...this.patterns);
  }

  async sync(): Promise<void> {
    await this.client?.ping();
  }

  pause(): void {
    this.client?.stream.pause();
  }

  resume(): void {
    this.client?.stream.resume();
  }

  close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client === undefined) return Promise.resolve();
    // A subscriber has nothing to finish: disconnect at once (a paused one could not read QUIT's answer).
    client.disconnect();
    return Promise.resolve();
  }
}
