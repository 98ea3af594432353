/**
 * Broker failover on a real three-node Kafka cluster (replication factor 3,
 * min.insync.replicas 2): while events are published and two members
 * consume, the broker coordinating their consumer group (and leading some
 * partitions) is killed with kill -9, then started again. Nothing
 * acknowledged is lost, each stream's events are first handled in publish
 * order, and the consumers go on through the failover.
 *
 * Then the whole cluster goes (every broker killed: every member loses every
 * connection) for longer than the session timeout, and comes back: the
 * members notice they lapsed, stop, and join again on their own; nothing is
 * lost, and no two members ever work one partition at the same time.
 */
import { randomUUID } from 'node:crypto';
import { Admin, FindCoordinatorKeyTypes } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Millrace, kafka, type Consumer, type Event } from '../../src/index.js';
import {
  CLUSTER_BROKERS,
  killNode,
  restartNode,
  startCluster,
  stopCluster,
} from '../support/kafka-cluster.js';
import { checkOverlaps } from '../support/chaos/ownership-rules.js';
import type { Handling } from '../support/history.js';
import { waitFor } from '../support/wait.js';

const STREAMS = 200;

const quietLogger = { debug() {}, info() {}, warn() {}, error() {} };

async function groupCoordinator(group: string): Promise<number> {
  const admin = new Admin({ clientId: 'failover-test', bootstrapBrokers: CLUSTER_BROKERS });
  try {
    const [found] = await admin.findCoordinator({
      keyType: FindCoordinatorKeyTypes.GROUP,
      keys: [group],
    });
    if (found === undefined) throw new Error(`no coordinator found for ${group}`);
    return found.nodeId;
  } finally {
    await admin.close();
  }
}

interface Handled {
  readonly stream: string;
  readonly n: number;
}

describe('kafka broker failover (three nodes, kill -9 one)', () => {
  const opened: Millrace[] = [];
  beforeAll(startCluster, 180_000);
  const killCluster = async () => {
    for (const node of [1, 2, 3]) await killNode(node);
  };
  afterAll(async () => {
    await Promise.allSettled(opened.map((m) => m.close()));
    await stopCluster();
  }, 120_000);

  it('loses no acknowledged event, keeps per-stream order, and consumers go on', async () => {
    const prefix = `failover${randomUUID().slice(0, 8)}`;
    const open = async () => {
      const millrace = await Millrace.open({
        provider: kafka({ brokers: CLUSTER_BROKERS, prefix, replicationFactor: 3 }),
      });
      opened.push(millrace);
      return millrace;
    };
    const publisher = await open();
    const handled: Handled[] = [];
    const consumers: Consumer[] = [];
    for (let member = 0; member < 2; member++) {
      const millrace = await open();
      const consumer = millrace.consumer({
        name: 'failover',
        sequence: { category: 'item' },
        sessionTimeoutMs: 6000,
        handler: (event: Event) => {
          const data = event.data as { n: number };
          handled.push({ stream: event.stream, n: data.n });
        },
      });
      consumers.push(consumer);
    }
    // The topic exists with the cluster's replication before members join.
    await publisher.publish({ stream: 'item-warmup', subject: 'item.added', data: { n: 0 } });
    await Promise.all(consumers.map((c) => c.start()));

    // Per stream, a counter: an event is acknowledged once publish resolves.
    const acknowledged: Handled[] = [];
    const next = new Array<number>(STREAMS).fill(0);
    let publishing = true;
    let failures = 0;
    const publishLoop = (async () => {
      while (publishing) {
        const batch = Array.from({ length: 50 }, (_, i) => {
          const s = (acknowledged.length + i) % STREAMS;
          return { stream: `item-${s}`, subject: 'item.added', data: { n: next[s] ?? 0 } };
        });
        try {
          await publisher.publishBatch(batch);
          for (const event of batch) {
            const s = Number(event.stream.slice(5));
            next[s] = (next[s] ?? 0) + 1;
            acknowledged.push({ stream: event.stream, n: event.data.n });
          }
        } catch {
          // Not acknowledged: the same numbers are published again (at-least-once).
          failures++;
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();

    await waitFor(() => handled.length > 2000, 'consumers handling before the failover', 60_000);
    // The hardest broker to lose: the consumer group's coordinator (node ids are the script's node numbers).
    const coordinator = await groupCoordinator(`${prefix}.failover`);
    await killNode(coordinator);
    const atKill = handled.length;
    await waitFor(
      () => handled.length > atKill + 2000,
      'consumers handling after a broker was killed',
      90_000,
    );
    await restartNode(coordinator);
    const atRestart = handled.length;
    await waitFor(() => handled.length > atRestart + 1000, 'handling after the restart', 90_000);
    publishing = false;
    await publishLoop;

    const expected = acknowledged.length;
    await waitFor(
      () => new Set(handled.map((h) => `${h.stream}:${h.n}`)).size >= expected,
      'every acknowledged event handled',
      90_000,
    );
    const seen = new Set(handled.map((h) => `${h.stream}:${h.n}`));
    const lost = acknowledged.filter((a) => !seen.has(`${a.stream}:${a.n}`));
    expect(lost).toEqual([]);

    // First handlings of a stream come in publish order (a redelivery may repeat an earlier one).
    const highest = new Map<string, number>();
    const outOfOrder: Handled[] = [];
    for (const h of handled) {
      const top = highest.get(h.stream) ?? -1;
      if (h.n > top + 1) outOfOrder.push(h);
      if (h.n > top) highest.set(h.stream, h.n);
    }
    expect(outOfOrder).toEqual([]);
    console.log(
      `kafka failover: killed node ${coordinator} (the group coordinator); ${expected} acknowledged, ${handled.length} handlings, ${failures} failed publishes retried`,
    );
    await Promise.all(opened.splice(0).map((m) => m.close()));
  }, 600_000);

  it('rides out the whole cluster going down and coming back, one member per partition at a time', async () => {
    const prefix = `outage${randomUUID().slice(0, 8)}`;
    const open = async () => {
      const millrace = await Millrace.open({
        provider: kafka({ brokers: CLUSTER_BROKERS, prefix, replicationFactor: 3 }),
        logger: quietLogger,
      });
      opened.push(millrace);
      return millrace;
    };
    const publisher = await open();
    await publisher.publish({ stream: 'item-warmup', subject: 'item.added', data: { n: 0 } });
    const handlings: Handling[] = [];
    const consumers: Consumer[] = [];
    for (const pid of [1, 2]) {
      const millrace = await open();
      const consumer: Consumer = millrace.consumer({
        name: 'outage',
        sequence: { category: 'item' },
        sessionTimeoutMs: 3000,
        handler: async (event: Event, context) => {
          const startedAt = Date.now();
          await new Promise((resolve) => setTimeout(resolve, 1));
          handlings.push({
            seq: handlings.length,
            eventId: event.id,
            stream: event.stream,
            version: 0,
            position: event.position,
            partition: context.partition,
            generation: context.generation,
            member: context.member,
            pid,
            startedAt,
            tick: 0,
            finishedAt: Date.now(),
          });
        },
      });
      consumers.push(consumer);
    }
    await Promise.all(consumers.map((c) => c.start()));

    const acknowledged = new Set<string>();
    let publishing = true;
    const publishLoop = (async () => {
      while (publishing) {
        const batch = Array.from({ length: 20 }, (_, i) => ({
          id: randomUUID(),
          stream: `item-${(acknowledged.size + i) % STREAMS}`,
          subject: 'item.added',
          data: {},
        }));
        // Kafka cannot tell a retried batch from a new one: a batch that failed is
        // not counted, and may or may not be in the log.
        await publisher.publishBatch(batch).then(
          () => batch.forEach((e) => acknowledged.add(e.id)),
          () => new Promise((resolve) => setTimeout(resolve, 200)),
        );
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();

    await waitFor(() => handlings.length > 1000, 'handling before the outage', 60_000);
    await killCluster();
    // Every member lapses (no heartbeat for a session timeout) and lets its partitions go.
    await waitFor(
      () => consumers.every((c) => c.partitions.length === 0),
      'every member to let its partitions go',
      30_000,
    );
    await startCluster();
    const atRestart = handlings.length;
    await waitFor(
      () => handlings.length > atRestart + 1000,
      'handling after the cluster came back',
      120_000,
    );
    publishing = false;
    await publishLoop;
    const handled = () => new Set(handlings.map((h) => h.eventId));
    await waitFor(
      () => [...acknowledged].every((id) => handled().has(id)),
      'every acknowledged event handled',
      120_000,
    ).catch(async (error: Error) => {
      const seen = handled();
      const missing = [...acknowledged].filter((id) => !seen.has(id));
      const inLog = new Map<string, string>();
      for (let index = 0; index < 8; index++) {
        let after: string | undefined;
        for (;;) {
          const page = await publisher.read({
            sequence: { category: 'item' },
            partition: { index, count: 8 },
            after,
            limit: 1000,
          });
          for (const e of page.events) inLog.set(e.id, `${index}@${e.position}`);
          if (page.events.length === 0) break;
          after = page.next;
        }
      }
      throw new Error(
        `in the log: ${missing.map((id) => inLog.get(id) ?? 'no').join(', ')}; commits ${JSON.stringify(await publisher.consumerStatus('outage').then((s) => s.positions.map((p) => p.position)))}; ` +
          `${error.message}: ${missing.length} of ${acknowledged.size} missing; partitions ${consumers.map((c) => `[${c.partitions.join(',')}] ${c.state}`).join(' / ')}; last handling at ${handlings.at(-1)?.startedAt}, now ${Date.now()}`,
      );
    });
    expect(consumers.map((c) => c.state)).toEqual(['running', 'running']);
    expect(checkOverlaps(handlings, []).slice(0, 10)).toEqual([]);
    console.log(
      `kafka outage: ${acknowledged.size} acknowledged, ${handlings.length} handlings, ${handlings.length - handled().size} duplicates`,
    );
  }, 600_000);
});
