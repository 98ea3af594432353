/**
 * Options of the Redis Streams provider, validated once, before anything
 * connects: one server (`url`) or a cluster (`cluster.nodes`), the key
 * prefix that namespaces every key, a category's partition count, and how
 * durable a write must be before it is acknowledged.
 */
import {
  resolveAllocatorTiming,
  type AllocatorTiming,
  type AllocatorTimingOptions,
} from '../../core/kit/allocation/allocator-timing.js';
import { integerOption, optionError } from '../../core/kit/provider-options.js';

export type RedisDurability = 'local' | 'replicated';

export interface RedisOptions extends AllocatorTimingOptions {
  /** One Redis server: `redis://127.0.0.1:6379`. Give this or `cluster`. */
  url?: string;
  /** A Redis Cluster: some of its nodes; the others are found from them. */
  cluster?: { nodes: (string | { host: string; port: number })[] };
  /** Namespaces every key, so several millrace deployments share a server. @defaultValue 'millrace' */
  prefix?: string;
  /** Partitions (Redis streams) of a category when millrace first meets it. @defaultValue 8 */
  partitions?: number;
  /**
   * `local`: a write is acknowledged once the primary has it (with the
   * server's own persistence settings). `replicated`: also once a replica
   * has it (`WAIT`), so a failover loses nothing acknowledged.
   * @defaultValue 'local'
   */
  durability?: RedisDurability;
  /** Replicas that must have a write under `replicated`. @defaultValue 1 */
  replicas?: number;
  /** How long a write waits for its replicas under `replicated`. @defaultValue 1000 */
  replicationTimeoutMs?: number;
  /** How long a read waits on the server for new events (`XREAD BLOCK`). @defaultValue 250 */
  blockMs?: number;
}

export interface RedisNode {
  readonly host: string;
  readonly port: number;
}

export interface ResolvedRedisOptions extends AllocatorTiming {
  readonly url: string | undefined;
  readonly nodes: readonly RedisNode[] | undefined;
  readonly prefix: string;
  readonly partitions: number;
  readonly durability: RedisDurability;
  readonly replicas: number;
  readonly replicationTimeoutMs: number;
  readonly blockMs: number;
}

/** No `{`, `}` or `:`: they shape keys (hash tags, separators). */
const PREFIX = /^[A-Za-z0-9_-]{1,64}$/;
const HOST = /^[A-Za-z0-9.-]+$|^\[[0-9A-Fa-f:]+\]$/;

const invalid = (option: string, message: string) => optionError('redis', option, message);
const integer = (option: string, value: unknown, fallback: number, min: number, max: number) =>
  integerOption('redis', option, value, fallback, min, max);

function node(value: unknown): RedisNode {
  if (typeof value === 'string') {
    const colon = value.lastIndexOf(':');
    const host = value.slice(0, colon);
    const port = Number(value.slice(colon + 1));
    if (colon > 0 && HOST.test(host) && Number.isInteger(port) && port > 0 && port < 65536) {
      return { host, port };
    }
  } else if (typeof value === 'object' && value !== null) {
    const { host, port } = value as { host?: unknown; port?: unknown };
    if (typeof host === 'string' && HOST.test(host) && typeof port === 'number') {
      if (Number.isInteger(port) && port > 0 && port < 65536) return { host, port };
    }
  }
  throw invalid(
    'cluster.nodes',
    `holds ${JSON.stringify(value)}: expected "host:port" or { host, port }`,
  );
}

export function resolveRedisOptions(options: RedisOptions = {}): ResolvedRedisOptions {
  const { url, cluster } = options;
  if ((url === undefined) === (cluster === undefined)) {
    throw invalid('url', 'or cluster: give exactly one');
  }
  if (url !== undefined && (typeof url !== 'string' || !/^rediss?:\/\/./.test(url))) {
    throw invalid('url', 'must be a redis:// or rediss:// URL');
  }
  let nodes: RedisNode[] | undefined;
  if (cluster !== undefined) {
    const given: unknown = (cluster as { nodes?: unknown }).nodes;
    if (!Array.isArray(given) || given.length === 0) {
      throw invalid('cluster.nodes', 'must list at least one node');
    }
    nodes = given.map(node);
  }
  const prefix = options.prefix ?? 'millrace';
  if (typeof prefix !== 'string' || !PREFIX.test(prefix)) {
    throw invalid('prefix', 'must be 1 to 64 letters, digits, _ or -');
  }
  const durability = options.durability ?? 'local';
  if (durability !== 'local' && durability !== 'replicated') {
    throw invalid('durability', "must be 'local' or 'replicated'");
  }
  return {
    url,
    nodes,
    prefix,
    durability,
    partitions: integer('partitions', options.partitions, 8, 1, 1024),
    replicas: integer('replicas', options.replicas, 1, 1, 16),
    replicationTimeoutMs: integer(
      'replicationTimeoutMs',
      options.replicationTimeoutMs,
      1000,
      1,
      60_000,
    ),
    blockMs: integer('blockMs', options.blockMs, 250, 0, 30_000),
    ...resolveAllocatorTiming(options, 'redis'),
  };
}
