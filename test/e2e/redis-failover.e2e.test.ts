/**
 * A Redis Cluster primary killed (-9) while four members consume and a
 * publisher keeps publishing: a replica is promoted, the members carry on by
 * themselves, and every acknowledged event the log still holds is handled.
 * What a failover loses is counted: with the cluster's append-only files
 * fsynced every second and `durability: 'local'`, events acknowledged by
 * the primary but not yet on its replica may be gone; with `durability:
 * 'replicated'` (WAIT for the replica) none may, and publishing is
 * refused from the kill until the killed node is back as the new primary's
 * replica. The cluster is this file's own (its own ports and directory),
 * started and stopped here.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Millrace, type Consumer } from '../../src/index.js';
import { redis } from '../../src/redis.js';
import { isSplit } from '../support/conformance/split.js';
import { dropPrefix, uniquePrefix } from '../support/redis.js';
import {
  killRedisNode,
  redisClusterNodes,
  redisClusterPrimaries,
  restartRedisNode,
  startRedisCluster,
  stopRedisCluster,
} from '../support/redis-cluster.js';
import { readPartitions } from '../support/read-log.js';
import { recordingLogger, waitFor } from '../support/wait.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PLACE = { portBase: 7100, dir: join(ROOT, '.redis-cluster-failover') };
const NODES = redisClusterNodes(PLACE).map((n) => `${n.host}:${n.port}`);
const CLUSTER_URL = `cluster:${NODES.join(',')}`;
const PARTITIONS = 8;

beforeAll(() => startRedisCluster(PLACE));
afterAll(() => stopRedisCluster(PLACE));

/** Every event id the log holds. */
async function logged(millrace: Millrace): Promise<Set<string>> {
  return new Set((await readPartitions(millrace, 'order', PARTITIONS)).map((e) => e.id));
}

for (const durability of ['local', 'replicated'] as const) {
  it(`keeps consuming through a primary's failover; durability '${durability}' loses ${durability === 'replicated' ? 'nothing acknowledged' : 'what it loses, counted'}`, async () => {
    // A node killed by the previous case is back and in sync before this one.
    await startRedisCluster(PLACE);
    const prefix = uniquePrefix('failover');
    const opened: Millrace[] = [];
    const open = async () => {
      const millrace = await Millrace.open({
        provider: redis({ cluster: { nodes: NODES }, prefix, durability, partitions: PARTITIONS }),
        logger: recordingLogger(),
        deliverDelayed: false,
      });
      opened.push(millrace);
      return millrace;
    };
    const handled = new Set<string>();
    const members: Consumer[] = [];
    for (let i = 0; i < 4; i++) {
      const consumer = (await open()).consumer({
        name: 'billing',
        sequence: { category: 'order' },
        partitions: PARTITIONS,
        handler: (event) => void handled.add(event.id),
      });
      await consumer.start();
      members.push(consumer);
    }
    let killed: number | undefined;
    try {
      await waitFor(
        () => isSplit(members.map((m) => m.partitions)),
        'four members sharing',
        30_000,
      );

      const publisher = await open();
      const acknowledged: string[] = [];
      let refused = 0;
      let publishing = true;
      const load = (async () => {
        for (let n = 0; publishing; n++) {
          const batch = Array.from({ length: 5 }, (_, k) => ({
            stream: `order-${(n * 5 + k) % 64}`,
            subject: 'order.placed',
            data: { n: n * 5 + k },
          }));
          try {
            acknowledged.push(...(await publisher.publishBatch(batch)).map((p) => p.id));
          } catch {
            refused++;
          }
          // A steady trickle, not a flood: the failover, not the load, is tested.
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      })();
      await waitFor(() => handled.size >= 300, 'members handling', 30_000);

      const [victim] = await redisClusterPrimaries(PLACE);
      killed = (victim as number) - PLACE.portBase;
      const killedAt = Date.now();
      const before = acknowledged.length;
      await killRedisNode(killed, PLACE);
      await waitFor(
        async () => {
          const primaries = await redisClusterPrimaries(PLACE).catch((): number[] => []);
          return primaries.length === 3 && !primaries.includes(victim as number);
        },
        'a replica promoted',
        30_000,
      );
      const promotedMs = Date.now() - killedAt;
      if (durability === 'replicated') {
        // The promoted primary has no replica until the killed node is back:
        // every write is refused as unconfirmed until then (the price of
        // 'replicated'). Back, it rejoins as the new primary's replica.
        await restartRedisNode(killed, PLACE);
        await startRedisCluster(PLACE);
      }
      await waitFor(() => acknowledged.length >= before + 500, 'publishing again', 60_000);
      publishing = false;
      await load;

      const present = await logged(publisher);
      const lost = acknowledged.filter((id) => !present.has(id));
      await waitFor(
        () => acknowledged.every((id) => !present.has(id) || handled.has(id)),
        'every acknowledged event the log holds handled',
        60_000,
      );
      console.log(
        `[redis-cluster failover, durability '${durability}'] replica promoted after ${promotedMs} ms; ` +
          `${acknowledged.length} events acknowledged, ${refused} batches refused during the failover, ` +
          `${lost.length} acknowledged events lost`,
      );
      if (durability === 'replicated') expect(lost).toEqual([]);
      expect(handled.size).toBeGreaterThan(before);
    } finally {
      await Promise.all(members.map((m) => m.stop().catch(() => undefined)));
      await Promise.all(opened.map((m) => m.close().catch(() => undefined)));
      if (killed !== undefined && durability === 'local') await restartRedisNode(killed, PLACE);
      await dropPrefix(prefix, CLUSTER_URL).catch(() => undefined);
    }
  });
}
