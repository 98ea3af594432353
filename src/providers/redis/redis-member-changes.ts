/**
 * Hearing the members channel (see RedisKeys.membersChannel): the scripts
 * that change a consumer's membership or allocation publish its name there.
 * A subscribed connection answers nothing else, so one connection of its
 * own is shared by every listener of the store, opened with the first and
 * closed with the last. Pub/sub keeps nothing for a subscriber that was
 * away: after a reconnect every listener hears EVERY_CONSUMER, as after a
 * LISTEN connection on PostgreSQL came back.
 */
import { Cluster } from 'ioredis';
import { EVERY_CONSUMER } from '../../core/contracts/membership-store.js';
import type { RedisClient, RedisConnection } from './redis-connection.js';
import { translated } from './redis-errors.js';

type Listener = (consumer: string) => void;

export class RedisMemberChanges {
  private readonly listeners = new Set<Listener>();
  private subscriber: Promise<RedisClient> | undefined;

  constructor(
    private readonly connection: RedisConnection,
    private readonly channel: string,
  ) {}

  /** Listens until the function returned is called. */
  async listen(listener: Listener): Promise<() => Promise<void>> {
    // A wrapper per call, so subscribing one function twice needs two stops.
    const subscribed: Listener = (consumer) => listener(consumer);
    this.listeners.add(subscribed);
    try {
      await (this.subscriber ??= this.open());
    } catch (error) {
      this.listeners.delete(subscribed);
      if (this.listeners.size === 0) this.subscriber = undefined;
      throw translated(error);
    }
    let stopped = false;
    return async () => {
      if (stopped) return;
      stopped = true;
      this.listeners.delete(subscribed);
      if (this.listeners.size === 0) await this.shut();
    };
  }

  /** Stops every listener (the store is closing). */
  async close(): Promise<void> {
    this.listeners.clear();
    await this.shut();
  }

  private async shut(): Promise<void> {
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    const client = await subscriber?.catch(() => undefined);
    await client?.quit().catch(() => client.disconnect());
  }

  private async open(): Promise<RedisClient> {
    const client = this.duplicate();
    // It reconnects on its own; a failure to subscribe surfaces on `listen`.
    client.on('error', () => undefined);
    client.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.emit(message);
    });
    try {
      if (client.status === 'wait') await client.connect();
      await client.subscribe(this.channel);
    } catch (error) {
      client.disconnect();
      throw error;
    }
    // Registered once subscribed, so only a reconnect triggers it. ioredis
    // subscribes again on its own, but only after 'ready' is heard: this
    // subscribe's answer is what says the channel is heard again.
    client.on('ready', () => {
      client.subscribe(this.channel).then(
        () => this.emit(EVERY_CONSUMER),
        () => undefined,
      );
    });
    return client;
  }

  /** A connection like the shared one, named so an operator can tell what it is. */
  private duplicate(): RedisClient {
    const { client } = this.connection;
    if (client instanceof Cluster) return client.duplicate();
    return client.duplicate({
      connectionName: `millrace-members-${this.connection.options.prefix}`,
    });
  }

  private emit(consumer: string): void {
    for (const listener of [...this.listeners]) {
      // One removed by an earlier listener hears nothing more.
      if (!this.listeners.has(listener)) continue;
      try {
        listener(consumer);
      } catch {
        // A listener's own failure must not break the connection's reader, nor the other listeners.
      }
    }
  }
}
