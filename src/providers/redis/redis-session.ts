/**
 * This process's session with Redis, as the others can watch it: the id of
 * its connection (`CLIENT ID`), recorded with each member's heartbeats, so
 * the leader sees a killed process's members die with its connection
 * (`CLIENT LIST ID`) rather than only when their heartbeats stop. A closed
 * connection is a lost session: its members stop starting work until a
 * heartbeat on the new connection is answered. On a cluster a process holds
 * a connection per node, none of them the member's alone: sessions are not
 * watched there, and members die by their session timeout.
 */
import { Cluster } from 'ioredis';
import type { RedisClient } from './redis-connection.js';

export class RedisSession {
  private id: Promise<string | undefined> | undefined;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly client: RedisClient) {
    if (this.watched) {
      client.on('close', () => {
        this.id = undefined;
        for (const listener of this.listeners) listener();
      });
    }
  }

  /** Whether the others can watch it (one server, one connection). */
  get watched(): boolean {
    return !(this.client instanceof Cluster);
  }

  /** The connection's id now, or undefined where it is not watched (or not connected). */
  identity(): Promise<string | undefined> {
    if (!this.watched) return Promise.resolve(undefined);
    this.id ??= (this.client.call('CLIENT', 'ID') as Promise<number>).then(
      (id) => String(id),
      () => {
        this.id = undefined;
        return undefined;
      },
    );
    return this.id;
  }

  onLost(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Of these connection ids, those the server still has. */
  async alive(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0 || !this.watched) return new Set(ids);
    const list = (await this.client.call('CLIENT', 'LIST', 'ID', ...ids)) as string;
    return new Set([...list.matchAll(/(?:^|\s)id=(\d+)\s/gm)].map((match) => match[1] as string));
  }
}
