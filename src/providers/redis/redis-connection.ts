/**
 * The provider's connections to one Redis server or a Redis Cluster, and its
 * Lua scripts. One shared connection carries every ordinary command (ioredis
 * pipelines them); a read that blocks (`XREAD BLOCK`) takes a connection of
 * its own from a small pool, since a blocked connection answers nothing
 * else. Scripts go by EVALSHA, loaded on first use on each node; on a
 * cluster each runs on the node that holds its keys' slot (they share one
 * hash tag, see redis-keys.ts).
 */
import { Cluster, Redis, type RedisOptions as ClientOptions } from 'ioredis';
import { scripts, type ScriptName } from './lua/generated.js';
import { ConnectionError } from '../../core/errors.js';
import type { ResolvedRedisOptions } from './redis-options.js';

export type RedisClient = Redis | Cluster;

/** Replies as ioredis gives them: strings, numbers, nulls and arrays of them. */
export type Reply = string | number | null | Reply[];

const CLIENT_OPTIONS: ClientOptions = {
  // Commands wait for a reconnect rather than fail at once; callers retry on their own terms.
  maxRetriesPerRequest: 2,
  enableAutoPipelining: true,
  lazyConnect: true,
};

export class RedisConnection {
  readonly client: RedisClient;
  private readonly idle: RedisClient[] = [];
  private readonly lent = new Set<RedisClient>();
  private closed = false;

  constructor(readonly options: ResolvedRedisOptions) {
    this.client = open(options);
    for (const [name, script] of Object.entries(scripts)) {
      // Without a fixed count ioredis takes the count as the first argument.
      if (script.keys === null) this.client.defineCommand(name, { lua: script.lua });
      else this.client.defineCommand(name, { numberOfKeys: script.keys, lua: script.lua });
    }
  }

  async connect(): Promise<void> {
    await this.client.connect();
  }

  /** Runs one of the provider's scripts. */
  run(
    name: ScriptName,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<Reply> {
    const command = (this.client as unknown as Record<string, (...a: unknown[]) => Promise<Reply>>)[
      name
    ];
    if (command === undefined) throw new Error(`no script ${name}`);
    if (scripts[name].keys === null)
      return command.call(this.client, keys.length, ...keys, ...args);
    return command.call(this.client, ...keys, ...args);
  }

  /**
   * Runs a script that writes what must survive a failover: under
   * `durability: 'replicated'` it is followed, on the same node (one
   * pipeline: a cluster routes it by the script's keys), by `WAIT`, and a
   * write that too few replicas confirmed in time is reported as not
   * durable (a ConnectionError: retried, the scripts answer what was
   * stored instead of storing twice).
   */
  async runDurably(
    name: ScriptName,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<Reply> {
    const { durability, replicas, replicationTimeoutMs } = this.options;
    if (durability === 'local') return this.run(name, keys, args);
    const counted = scripts[name].keys === null ? [keys.length, ...keys] : keys;
    const pipeline = this.client.pipeline() as unknown as Record<
      string,
      (...a: unknown[]) => void
    > & {
      call(...a: unknown[]): void;
      exec(): Promise<[Error | null, unknown][] | null>;
    };
    pipeline[name]?.(...counted, ...args);
    pipeline.call('WAIT', replicas, replicationTimeoutMs);
    const [written, waited] = (await pipeline.exec()) ?? [];
    if (written?.[0]) throw written[0];
    if (waited?.[0]) throw waited[0];
    const confirmed = Number(waited?.[1] ?? 0);
    if (confirmed < replicas) {
      throw new ConnectionError(
        `redis: a write reached ${confirmed} of the ${replicas} replicas asked for within ${replicationTimeoutMs} ms (durability 'replicated')`,
        { reason: 'not_replicated', details: { confirmed, replicas } },
      );
    }
    return written?.[1] as Reply;
  }

  /** A connection for one blocking command; give it back with `release`. */
  async borrow(): Promise<RedisClient> {
    const ready = this.idle.pop();
    if (ready !== undefined) {
      this.lent.add(ready);
      return ready;
    }
    const fresh: RedisClient =
      this.client instanceof Cluster ? this.client.duplicate() : this.client.duplicate();
    this.lent.add(fresh);
    if (fresh.status === 'wait') await fresh.connect();
    return fresh;
  }

  release(client: RedisClient): void {
    this.lent.delete(client);
    if (this.closed || this.idle.length >= 16) client.disconnect();
    else this.idle.push(client);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const client of [...this.idle, ...this.lent]) client.disconnect();
    this.idle.length = 0;
    this.lent.clear();
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

function open(options: ResolvedRedisOptions): RedisClient {
  if (options.nodes !== undefined) {
    return new Cluster(
      options.nodes.map((n) => ({ host: n.host, port: n.port })),
      // Auto-pipelining is off on a cluster: ioredis refuses a pipeline whose
      // scripts' keys fall in slots of different allocation groups.
      { redisOptions: { ...CLIENT_OPTIONS, enableAutoPipelining: false }, lazyConnect: true },
    );
  }
  return new Redis(options.url as string, CLIENT_OPTIONS);
}
