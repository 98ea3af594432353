/**
 * Retention, as every provider must behave: one suite, run on the memory
 * provider (unit), on PostgreSQL and PGlite (int) and on every conformance
 * target that claims retention. Where a category's partitions are orders of
 * their own (Redis Streams: `categoryPartitions`), the log is read category
 * by category, partition by partition, compared without an order across
 * streams, and holds are those of the partitions that have events.
 */
import { describe, expect, it } from 'vitest';
import {
  ValidationError,
  comparePositions,
  type Event,
  type EventInput,
  type Millrace,
  type MillraceOptions,
  type PruneOptions,
} from '../../src/index.js';
import type { EventSequence } from '../../src/index.js';
import { readAll, readPartitions } from './read-log.js';
import { recordingLogger, waitFor } from './wait.js';

export interface RetentionBackend {
  open(options?: Omit<MillraceOptions, 'provider'>): Promise<Millrace>;
  /** Publishes events whose time lies `ageMs` in the past (before any newer event is published). */
  publishAged(millrace: Millrace, events: EventInput[], ageMs: number): Promise<void>;
  /**
   * Where the log has no one order and a category's partitions are the
   * backend's (Redis streams), how many a new category gets.
   */
  readonly categoryPartitions?: number;
}

/** What the suite registers its tests by. */
export interface RetentionSuiteOptions {
  /** The consumer sequences the backend has (capabilities.sequences): by default every kind. */
  readonly sequences?: readonly EventSequence['kind'][];
}

/** The categories the suite publishes to. */
const CATEGORIES = ['order', 'user'];

const DAY = 86_400_000;

function inputs(stream: string, count: number): EventInput[] {
  return Array.from({ length: count }, (_, n) => ({
    stream,
    subject: `${stream.split('-')[0]}.happened`,
    data: { n },
  }));
}

/** A consumer of one stream (order-1). */
const ONE_STREAM = {
  name: 'one-stream',
  sequence: { kind: 'stream', stream: 'order-1' },
  subjects: [],
  partitions: 1,
  maxAttempts: 10,
} as const;

const ids = (events: readonly Event[]) => events.map((e) => `${e.stream}@${e.version}`);

/** Every event left (see RetentionBackend.categoryPartitions). */
async function logged(millrace: Millrace, { categoryPartitions: count }: RetentionBackend) {
  if (count === undefined) return readAll(millrace);
  const reads = CATEGORIES.map((category) => readPartitions(millrace, category, count));
  return (await Promise.all(reads)).flat();
}

/** Ids in log order, or, where there is none across partitions, sorted (so are the expected). */
function inOrder(backend: RetentionBackend, names: readonly string[]): string[] {
  return backend.categoryPartitions === undefined ? [...names] : [...names].sort();
}

/** The category's partitions that have events (an empty one holds nothing back). */
async function partitionsWithEvents(
  millrace: Millrace,
  category: string,
  count: number,
): Promise<number[]> {
  const reads = Array.from({ length: count }, (_, index) =>
    readAll(millrace, { sequence: { category }, partition: { index, count } }),
  );
  return (await Promise.all(reads)).flatMap((events, index) => (events.length > 0 ? [index] : []));
}

async function loggedIds(millrace: Millrace, backend: RetentionBackend): Promise<string[]> {
  return inOrder(backend, ids(await logged(millrace, backend)));
}

export function retentionSuite(
  name: string,
  setup: () => Promise<RetentionBackend>,
  { sequences = ['log', 'category', 'stream'] }: RetentionSuiteOptions = {},
): void {
  const streams = sequences.includes('stream');
  describe(`retention on ${name}`, () => {
    it('prunes events older than a duration, keeping each stream newest event', async () => {
      const backend = await setup();
      const millrace = await backend.open();
      await backend.publishAged(
        millrace,
        [...inputs('order-1', 2), ...inputs('order-2', 2), ...inputs('user-1', 2)],
        2 * DAY,
      );
      const fresh = await millrace.publishBatch([...inputs('order-1', 1), ...inputs('order-2', 1)]);

      const result = await millrace.prune({ olderThan: '1d' });

      // user-1 has no newer event: its newest old one stays, so its version continues.
      expect(result.deleted).toBe(5);
      expect(await loggedIds(millrace, backend)).toEqual(
        inOrder(backend, ['user-1@1', 'order-1@2', 'order-2@2']),
      );
      expect(result.heldBy).toEqual([]);
      expect(result.categories.map((c) => [c.category, c.deleted])).toEqual([
        ['order', 4],
        ['user', 1],
      ]);
      const order = result.categories.find((c) => c.category === 'order');
      // Everything from the first event the duration keeps on stays.
      expect(order?.prunedBefore).toBe(fresh[0]?.position);
      const next = await millrace.publish({
        stream: 'user-1',
        subject: 'user.renamed',
        data: {},
        expectedVersion: 1,
      });
      expect(next.version).toBe(2);
      // user-1@1 is no longer its stream's newest event: the next prune takes it, then none.
      expect((await millrace.prune({ olderThan: '1d' })).deleted).toBe(1);
      expect((await millrace.prune({ olderThan: '1d' })).deleted).toBe(0);
    });

    it('keeps the newest N events per category, one category or all', async () => {
      const backend = await setup();
      const millrace = await backend.open();
      await millrace.publishBatch([...inputs('order-1', 6), ...inputs('user-1', 3)]);

      const one = await millrace.prune({ category: 'user', keepLast: 2 });
      expect(one.deleted).toBe(1);
      expect(one.categories.map((c) => c.category)).toEqual(['user']);

      const all = await millrace.prune({ keepLast: 2 });
      expect(all.deleted).toBe(4);
      expect(await loggedIds(millrace, backend)).toEqual(
        inOrder(backend, ['order-1@4', 'order-1@5', 'user-1@1', 'user-1@2']),
      );
      // Read as its stream where the backend reads streams; else the log has shown it.
      if (streams) {
        expect(ids(await readAll(millrace, { sequence: { stream: 'order-1' } }))).toEqual([
          'order-1@4',
          'order-1@5',
        ]);
      }
    });

    it('keeps what is newer by either rule when both are given', async () => {
      const backend = await setup();
      const millrace = await backend.open();
      await backend.publishAged(millrace, inputs('order-1', 4), 2 * DAY);
      await millrace.publishBatch(inputs('order-1', 1));
      const result = await millrace.prune({ olderThan: '1d', keepLast: 3 });
      expect(result.deleted).toBe(2);
      expect(await loggedIds(millrace, backend)).toEqual(['order-1@2', 'order-1@3', 'order-1@4']);
    });

    it('never prunes past a consumer that has not handled the events, and says which', async () => {
      const backend = await setup();
      const millrace = await backend.open();
      const published = await millrace.publishBatch(inputs('order-1', 6));
      const held = published[2]?.position as string;
      const { registry } = millrace.provider;
      const partitions = backend.categoryPartitions ?? 4;
      const definition = { subjects: [], partitions, maxAttempts: 10 };
      await registry.register(
        { ...definition, name: 'slow', sequence: { kind: 'category', category: 'order' } },
        held,
      );
      // Consumers of other sequences do not hold this category.
      await registry.register(
        { ...definition, name: 'users', sequence: { kind: 'category', category: 'user' } },
        '0',
      );
      if (streams) {
        await registry.register(
          {
            ...definition,
            name: 'other-stream',
            partitions: 1,
            sequence: { kind: 'stream', stream: 'order-9' },
          },
          '0',
        );
      }
      // Per-partition orders: the hold is in the partition with the events.
      const [heldPartition] =
        backend.categoryPartitions === undefined
          ? [0]
          : await partitionsWithEvents(millrace, 'order', partitions);

      const result = await millrace.prune({ keepLast: 0 });

      expect(result.deleted).toBe(2);
      expect(result.prunedBefore).toBe(held);
      expect(result.heldBy).toEqual([
        {
          consumer: 'slow',
          sequence: { kind: 'category', category: 'order' },
          partition: heldPartition,
          position: held,
        },
      ]);
      // The event at the committed position stays too, as the contract says.
      expect((await logged(millrace, backend)).map((e) => e.position)).toEqual(
        published.slice(2).map((p) => p.position),
      );
    });

    if (!streams) {
      it('does not apply: lacks stream sequences (a stream consumer cannot register)', async () => {
        const backend = await setup();
        const millrace = await backend.open();
        expect(millrace.capabilities.sequences).not.toContain('stream');
        await expect(millrace.provider.registry.register(ONE_STREAM, '0')).rejects.toThrow(
          /stream/,
        );
      });
    }

    if (streams)
      it('lets a stream consumer hold only its own stream', async () => {
        const backend = await setup();
        const millrace = await backend.open();
        const published = await millrace.publishBatch([
          ...inputs('order-1', 3),
          ...inputs('order-2', 3),
        ]);
        await millrace.provider.registry.register(ONE_STREAM, '0');
        const result = await millrace.prune({ keepLast: 0 });
        expect(result.deleted).toBe(2);
        expect(result.heldBy.map((h) => [h.consumer, h.position])).toEqual([['one-stream', '0']]);
        expect(ids(await readAll(millrace))).toEqual([
          'order-1@0',
          'order-1@1',
          'order-1@2',
          'order-2@2',
        ]);
        expect(published).toHaveLength(6);
      });

    it('counts the slowest partition of a running consumer, and prunes past it only when forced', async () => {
      const backend = await setup();
      const millrace = await backend.open();
      await millrace.publishBatch([...inputs('order-a', 5), ...inputs('order-b', 5)]);
      const handled: Event[] = [];
      const partitions = backend.categoryPartitions ?? 4;
      const consumer = millrace.consumer({
        name: 'worker',
        sequence: { category: 'order' },
        partitions,
        commitIntervalMs: 10,
        retry: { type: 'fixed', delayMs: 5 },
        logger: recordingLogger(),
        handler: (event) => {
          if (event.stream === 'order-b' && event.version === 2) throw new Error('not yet');
          handled.push(event);
        },
      });
      await consumer.start();
      await waitFor(() => handled.length >= 7, 'the events before the failing one handled');
      await consumer.stop();
      const status = await millrace.consumerStatus('worker');
      // Per-partition orders: a partition without events holds nothing back.
      const holding =
        backend.categoryPartitions === undefined
          ? undefined
          : await partitionsWithEvents(millrace, 'order', partitions);
      const slowest = status.positions
        .filter((p) => holding === undefined || holding.includes(p.partition))
        .sort((a, b) => comparePositions(a.position, b.position))[0];

      const held = await millrace.prune({ keepLast: 0 });
      expect(held.heldBy.map((h) => [h.consumer, h.partition, h.position])).toEqual([
        ['worker', slowest?.partition, slowest?.position],
      ]);
      expect(held.prunedBefore).toBe(slowest?.position);
      for (const event of await logged(millrace, backend)) {
        expect(comparePositions(event.position, slowest?.position ?? '0')).toBeGreaterThanOrEqual(
          -1,
        );
      }
      expect(
        (await logged(millrace, backend)).some((e) => e.stream === 'order-b' && e.version === 2),
      ).toBe(true);

      const forced = await millrace.prune({ keepLast: 0, force: true });
      expect(forced.heldBy).toEqual([]);
      expect(await loggedIds(millrace, backend)).toEqual(['order-a@4', 'order-b@4']);
    });

    it('refuses bad input with a ValidationError and deletes nothing', async () => {
      const backend = await setup();
      const millrace = await backend.open();
      await millrace.publishBatch(inputs('order-1', 3));
      const bad: unknown[] = [
        {},
        { olderThan: 'soon' },
        { olderThan: '0d' },
        { olderThan: -5 },
        { keepLast: -1 },
        { keepLast: 1.5 },
        { keepLast: '2' },
        { keepLast: 1, category: 'not a category' },
        { keepLast: 1, force: 'yes' },
        null,
      ];
      for (const options of bad) {
        await expect(millrace.prune(options as PruneOptions)).rejects.toBeInstanceOf(
          ValidationError,
        );
      }
      expect(await logged(millrace, backend)).toHaveLength(3);
      await expect(backend.open({ retention: { olderThan: '7 days' } })).rejects.toBeInstanceOf(
        ValidationError,
      );
    });

    it('keeps reading and consuming after a prune', async () => {
      const backend = await setup();
      const millrace = await backend.open();
      await millrace.publishBatch([...inputs('order-1', 4), ...inputs('order-2', 4)]);
      const handled: Event[] = [];
      const consumer = millrace.consumer({
        name: 'follower',
        sequence: { category: 'order' },
        partitions: backend.categoryPartitions ?? 2,
        commitIntervalMs: 10,
        handler: (event) => {
          handled.push(event);
        },
      });
      await consumer.start();
      await waitFor(() => handled.length === 8, 'the first events handled');
      await waitFor(
        async () => (await millrace.prune({ keepLast: 0 })).deleted === 6,
        'the handled events pruned once their positions are committed',
      );
      const left =
        backend.categoryPartitions === undefined
          ? ids(await readAll(millrace, { sequence: { category: 'order' } }))
          : await loggedIds(millrace, backend);
      expect(left).toEqual(['order-1@3', 'order-2@3']);
      await millrace.publishBatch([...inputs('order-1', 1), ...inputs('order-3', 1)]);
      await waitFor(() => handled.length === 10, 'events published after the prune handled');
      await consumer.stop();
      expect(ids(handled.slice(8)).sort()).toEqual(['order-1@4', 'order-3@0']);

      const late: Event[] = [];
      // The whole log, or where the backend has no log consumers, its one category.
      const newcomer = millrace.consumer({
        name: 'newcomer',
        ...(sequences.includes('log')
          ? { sequence: 'log' as const }
          : { sequence: { category: 'order' }, partitions: backend.categoryPartitions }),
        handler: (event) => {
          late.push(event);
        },
      });
      await newcomer.start();
      await waitFor(() => late.length === 4, 'a new consumer reading what is left');
      await newcomer.stop();
    });

    it('prunes on its own with a retention policy', async () => {
      const backend = await setup();
      const writer = await backend.open();
      await writer.publishBatch(inputs('order-1', 5));
      const pruner = await backend.open({ retention: { keepLast: 2, every: '50ms' } });
      const left = async () => (await logged(pruner, backend)).length;
      await waitFor(async () => (await left()) === 2, 'the policy pruning');
      await writer.publishBatch(inputs('order-1', 3));
      await waitFor(async () => (await left()) === 2, 'the policy pruning again');
      await pruner.close();
    });
  });
}
