/**
 * One LISTEN connection per pool, shared by every channel a process listens
 * on. If it drops, it reconnects with backoff, listens again, and tells every
 * subscriber (notifications sent meanwhile are lost, so they must look).
 */
import pg from 'pg';

const RETRY_MS = [100, 250, 500, 1000, 2000, 5000];

interface Subscriber {
  readonly channel: string;
  readonly onPayload: (payload: string) => void;
  readonly onReset: () => void;
}

export class PgListener {
  private client: pg.PoolClient | undefined;
  private connecting: Promise<pg.PoolClient> | undefined;
  private readonly subscribers = new Set<Subscriber>();
  private attempt = 0;
  private closed = false;

  constructor(private readonly pool: pg.Pool) {}

  async listen(
    channel: string,
    onPayload: (payload: string) => void,
    onReset: () => void,
  ): Promise<() => Promise<void>> {
    const subscriber: Subscriber = { channel, onPayload, onReset };
    const client = await this.connection();
    if (!this.listensTo(channel)) await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    this.subscribers.add(subscriber);
    return async () => {
      this.subscribers.delete(subscriber);
      if (this.listensTo(channel) || this.client === undefined) return;
      await this.client.query(`UNLISTEN ${pg.escapeIdentifier(channel)}`).catch(() => undefined);
      if (this.subscribers.size === 0) this.drop(false);
    };
  }

  close(): void {
    this.closed = true;
    this.drop(false);
  }

  private listensTo(channel: string): boolean {
    for (const s of this.subscribers) if (s.channel === channel) return true;
    return false;
  }

  private connection(): Promise<pg.PoolClient> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connect(): Promise<pg.PoolClient> {
    const client = await this.pool.connect();
    client.on('notification', (message) => {
      for (const s of this.subscribers) {
        if (s.channel === message.channel) s.onPayload(message.payload ?? '');
      }
    });
    client.on('error', () => {
      if (this.client !== client) return;
      this.drop(true);
      this.reconnectLater();
    });
    for (const channel of new Set([...this.subscribers].map((s) => s.channel))) {
      await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    }
    this.client = client;
    this.attempt = 0;
    return client;
  }

  private reconnectLater(): void {
    if (this.closed || this.subscribers.size === 0) return;
    const delay = RETRY_MS[Math.min(this.attempt++, RETRY_MS.length - 1)] ?? 5000;
    setTimeout(() => {
      if (this.closed || this.subscribers.size === 0) return;
      this.connection().then(
        () => {
          for (const s of this.subscribers) s.onReset();
        },
        () => this.reconnectLater(),
      );
    }, delay).unref();
  }

  private drop(broken: boolean): void {
    const client = this.client;
    this.client = undefined;
    client?.release(broken);
  }
}
