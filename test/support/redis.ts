/**
 * The Redis the tests talk to (127.0.0.1:6379, shared: tests never flush or
 * restart it), a key prefix per test, and the removal of that prefix's keys.
 */
import { randomUUID } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';

export const TEST_REDIS_URL = process.env.MILLRACE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A prefix no other test uses. */
export function uniquePrefix(label = 't'): string {
  return `${label}-${randomUUID().slice(0, 8)}`;
}

/** A test spec's `cluster:host:port,...` as the cluster's nodes; undefined for one server. */
function clusterNodes(url: string): { host: string; port: number }[] | undefined {
  if (!url.startsWith('cluster:')) return undefined;
  return url
    .slice('cluster:'.length)
    .split(',')
    .map((node) => ({ host: node.split(':')[0] ?? '', port: Number(node.split(':')[1]) }));
}

/** Fails with how to start Redis when it does not answer (for a cluster: its first node). */
export async function checkRedis(url = TEST_REDIS_URL): Promise<void> {
  const first = clusterNodes(url)?.[0];
  if (first !== undefined) url = `redis://${first.host}:${first.port}`;
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    throw new Error(
      `Redis does not answer at ${url} (${(error as Error).message}): start it with \`redis-server --daemonize yes\` or set MILLRACE_TEST_REDIS_URL`,
    );
  } finally {
    client.disconnect();
  }
}

/** Deletes every key of a prefix (its keys all start with `{<prefix>`), on every primary of a cluster. */
export async function dropPrefix(prefix: string, url = TEST_REDIS_URL): Promise<void> {
  const nodes = clusterNodes(url);
  if (nodes !== undefined) {
    const cluster = new Cluster(nodes);
    try {
      for (const node of cluster.nodes('master')) {
        let cursor = '0';
        do {
          const [next, keys] = await node.scan(cursor, 'MATCH', `{${prefix}[:}]*`, 'COUNT', 1000);
          cursor = next;
          for (const key of keys) await cluster.del(key);
        } while (cursor !== '0');
      }
    } finally {
      cluster.disconnect();
    }
    return;
  }
  const client = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `{${prefix}[:}]*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}
