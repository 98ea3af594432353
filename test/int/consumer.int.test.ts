import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ConflictError,
  comparePositions,
  type Consumer,
  type ConsumerOptions,
  type Event,
  type Millrace,
} from '../../src/index.js';
import { PROVIDERS, openBackend, type TestBackend } from '../support/providers.js';
import { recordingLogger, waitFor } from '../support/wait.js';

describe.each(PROVIDERS)('a consumer on %s', (providerName) => {
  let backend: TestBackend;
  let millrace: Millrace;
  const running: Consumer<unknown>[] = [];

  beforeEach(async () => {
    backend = await openBackend(providerName);
    millrace = await backend.open({ logger: recordingLogger() });
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((c) => c.stop()));
    await backend.close();
  });

  function start(
    options: Omit<ConsumerOptions, 'handler'>,
    handled: Event[],
    on?: (e: Event) => void,
  ) {
    const consumer = millrace.consumer({
      ...options,
      handler: (event) => {
        on?.(event);
        handled.push(event);
      },
    });
    running.push(consumer as Consumer<unknown>);
    return consumer;
  }

  async function publishOrders(count: number, streams = 10, offset = 0): Promise<void> {
    await millrace.publishBatch(
      Array.from({ length: count }, (_, i) => ({
        stream: `order-${(i + offset) % streams}`,
        subject: i % 3 === 0 ? 'order.created' : 'order.updated',
        data: { n: i + offset },
      })),
    );
  }

  /** Each stream's versions follow each other, from `start` (0, or wherever a restart resumed). */
  function expectStreamOrder(events: Event[], from: 'zero' | 'anywhere' = 'zero'): void {
    const versions = new Map<string, number>();
    for (const event of events) {
      const previous = versions.get(event.stream);
      const expected =
        previous === undefined ? (from === 'zero' ? 0 : event.version) : previous + 1;
      expect(event.version, event.stream).toBe(expected);
      versions.set(event.stream, event.version);
    }
  }

  it('handles every event once, in order per stream, across partitions', async () => {
    await publishOrders(300);
    const handled: Event[] = [];
    const consumer = start(
      { name: 'all', sequence: { category: 'order' }, partitions: 4, batchSize: 17 },
      handled,
    );
    await consumer.start();
    await publishOrders(100, 10, 300);
    await waitFor(() => handled.length === 400, '400 events');
    expect(new Set(handled.map((e) => e.id)).size).toBe(400);
    expectStreamOrder(handled);
    expect(consumer.partitions).toEqual([0, 1, 2, 3]);
  });

  it('wakes at once on publish instead of waiting for the poll interval', async () => {
    const handled: Event[] = [];
    const consumer = start(
      { name: 'idle', sequence: { category: 'order' }, partitions: 2, pollIntervalMs: 60_000 },
      handled,
    );
    await consumer.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const sent = Date.now();
    await millrace.publish({ stream: 'order-1', subject: 'order.created', data: 1 });
    await waitFor(() => handled.length === 1, 'the woken consumer', 2_000);
    expect(Date.now() - sent).toBeLessThan(1_000);
  });

  it('wakes only the partition the published stream falls in', async () => {
    const handled: Event[] = [];
    const consumer = start(
      { name: 'targeted', sequence: { category: 'order' }, partitions: 8, pollIntervalMs: 60_000 },
      handled,
    );
    const log = millrace.provider.log;
    const read = log.read.bind(log);
    let reads: number[] = [];
    let answered = 0;
    log.read = async (request) => {
      reads.push(request.partition?.index ?? -1);
      try {
        return await read(request);
      } finally {
        answered++;
      }
    };
    try {
      await consumer.start();
      // Every partition has been granted and has read once, finding nothing: now idle.
      await waitFor(
        () => new Set(reads).size === 8 && answered === reads.length,
        'every partition idle after its first read',
      );
      reads = [];
      answered = 0;
      await millrace.publish({ stream: 'order-42', subject: 'order.created', data: 1 });
      await waitFor(() => handled.length === 1, 'the event');
      // A wake-up makes every partition it reaches read at once: all those reads are in.
      await waitFor(() => answered === reads.length, 'the reads the wake-up made');
    } finally {
      log.read = read;
    }
    expect(new Set(reads).size).toBe(1);
  });

  it('reads on once a full window empties in one go (a slow event, then fast ones)', async () => {
    // One stream: nothing retires while its first event's handler waits, so
    // reading stops when the window is full; the handlers that follow finish
    // at once, emptying the whole window within one turn.
    const events = 1_500;
    await publishOrders(events, 1);
    const log = millrace.provider.log;
    const read = log.read.bind(log);
    let delivered = 0;
    log.read = async (request) => {
      const page = await read(request);
      delivered += page.events.length;
      return page;
    };
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const handled: Event[] = [];
    const consumer = millrace.consumer({
      name: 'full-window',
      sequence: { category: 'order' },
      batchSize: 50,
      pollIntervalMs: 60_000,
      handler: (event) => {
        handled.push(event);
        return event.version === 0 ? gate : undefined;
      },
    });
    running.push(consumer as Consumer<unknown>);
    try {
      await consumer.start();
      // The window holds at most 1,000 events: reading has stopped there.
      await waitFor(() => delivered >= 1_000, 'a full delivery window');
      expect(delivered).toBeLessThan(events);
      open();
      await waitFor(() => handled.length === events, `all ${events} events handled`);
    } finally {
      log.read = read;
    }
    expectStreamOrder(handled);
  });

  it('gives every consumer every event (fan-out) and applies subject filters', async () => {
    const all: Event[] = [];
    const created: Event[] = [];
    await start({ name: 'audit', sequence: 'log', partitions: 1 }, all).start();
    await start(
      { name: 'welcome', sequence: { category: 'order' }, subjects: ['order.created'] },
      created,
    ).start();
    await publishOrders(30);
    await millrace.publish({ stream: 'user-1', subject: 'user.created', data: {} });
    await waitFor(() => all.length === 31 && created.length === 10, 'both consumers');
    expect(created.every((e) => e.subject === 'order.created')).toBe(true);
  });

  it('commits positions every N events and on stop, and resumes from them', async () => {
    await publishOrders(50, 5);
    const handled: Event[] = [];
    const consumer = start(
      {
        name: 'resume',
        sequence: { category: 'order' },
        partitions: 1,
        commitEveryEvents: 10,
        commitIntervalMs: 60_000,
      },
      handled,
    );
    const handledAtCommit: number[] = [];
    consumer.signals.on('committed', () => handledAtCommit.push(handled.length));
    await consumer.start();
    await waitFor(() => handled.length === 50, 'the first 50');
    await waitFor(() => handledAtCommit.length >= 1, 'a commit driven by the event count');
    // Commits wait for 10 events (the interval is a minute); a synchronous handler
    // finishes a page at a time, so one commit may cover them all.
    expect(handledAtCommit[0]).toBeGreaterThanOrEqual(10);
    await consumer.stop();
    const last = handled.at(-1) as Event;
    const stored = (await millrace.consumerStatus('resume')).positions[0]?.position ?? '0';
    expect(comparePositions(stored, last.position)).toBeGreaterThanOrEqual(0);

    await publishOrders(20, 5, 50);
    const again: Event[] = [];
    const restarted = start(
      { name: 'resume', sequence: { category: 'order' }, partitions: 1 },
      again,
    );
    await restarted.start();
    await waitFor(() => again.length === 20, 'only the 20 new events');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(again.length).toBe(20);
    expect(again.map((e) => (e.data as { n: number }).n)).toEqual(
      Array.from({ length: 20 }, (_, i) => 50 + i),
    );
  });

  it('fixes "end" once, at registration, so a restart never skips what came while it was down', async () => {
    await publishOrders(10);
    const handled: Event[] = [];
    const first = start(
      { name: 'tail', sequence: { category: 'order' }, startFrom: 'end' },
      handled,
    );
    await first.start();
    await first.stop();
    await publishOrders(5, 10, 10);
    const second = start(
      { name: 'tail', sequence: { category: 'order' }, startFrom: 'end' },
      handled,
    );
    await second.start();
    await waitFor(() => handled.length === 5, 'the events published while stopped');
    expect(handled.map((e) => (e.data as { n: number }).n).sort((a, b) => a - b)).toEqual([
      10, 11, 12, 13, 14,
    ]);
  });

  it('keeps going without skipping when the partition count changes', async () => {
    await publishOrders(200, 40);
    const handled: Event[] = [];
    const first = start(
      { name: 'resize', sequence: { category: 'order' }, partitions: 3, batchSize: 10 },
      handled,
    );
    let stopAt = 0;
    await first.start();
    await waitFor(() => handled.length >= 60, 'some progress');
    await first.stop();
    stopAt = handled.length;
    await publishOrders(100, 40, 200);
    const second = start(
      { name: 'resize', sequence: { category: 'order' }, partitions: 8 },
      handled,
    );
    await second.start();
    await waitFor(
      () => new Set(handled.map((e) => e.id)).size === 300,
      'every event, some maybe twice',
    );
    expectStreamOrder(handled.slice(stopAt), 'anywhere');
    const status = await millrace.consumerStatus('resize');
    expect(status.partitions).toBe(8);
    expect(status.positions.map((p) => p.partition)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    await waitFor(async () => (await millrace.consumerStatus('resize')).lag === 0, 'no lag');
  });

  it('drains a running handler on stop and commits its event', async () => {
    await millrace.publish({ stream: 'order-1', subject: 'order.created', data: 1 });
    let release: () => void = () => undefined;
    const started = new Promise<void>((resolve) => {
      release = resolve;
    });
    let finished = false;
    const handled: Event[] = [];
    const consumer = start(
      { name: 'slow', sequence: { category: 'order' }, partitions: 1 },
      handled,
      () => undefined,
    );
    const slow = millrace.consumer({
      name: 'slow-handler',
      sequence: { category: 'order' },
      partitions: 1,
      handler: async () => {
        release();
        await new Promise((resolve) => setTimeout(resolve, 300));
        finished = true;
      },
    });
    running.push(slow as Consumer<unknown>);
    await consumer.start();
    await slow.start();
    await started;
    await slow.stop();
    expect(finished).toBe(true);
    const status = await millrace.consumerStatus('slow-handler');
    expect(status.lag).toBe(0);
  });

  it('retries a failing handler with backoff, holding back its partition', async () => {
    await millrace.publishBatch([
      { stream: 'order-1', subject: 'order.created', data: 'first' },
      { stream: 'order-1', subject: 'order.updated', data: 'second' },
    ]);
    let failures = 0;
    const seen: unknown[] = [];
    const consumer = millrace.consumer({
      name: 'flaky',
      sequence: { category: 'order' },
      partitions: 1,
      retry: { type: 'exponential', baseMs: 10, capMs: 50 },
      handler: (event, context) => {
        seen.push([event.data, context.attempt]);
        if (event.data === 'first' && failures < 3) {
          failures++;
          throw new Error('not yet');
        }
      },
    });
    running.push(consumer as Consumer<unknown>);
    await consumer.start();
    await waitFor(() => seen.length === 5, 'three failures, then both events');
    expect(seen).toEqual([
      ['first', 1],
      ['first', 2],
      ['first', 3],
      ['first', 4],
      ['second', 1],
    ]);
  });

  it('refuses to register an existing name over another sequence', async () => {
    await start({ name: 'owner', sequence: { category: 'order' } }, []).start();
    const other = start({ name: 'owner', sequence: { category: 'user' } }, []);
    await expect(other.start()).rejects.toBeInstanceOf(ConflictError);
    await expect(other.start()).rejects.toThrow(/already/);
  });

  it('reports positions and lag per partition', async () => {
    await publishOrders(40, 8);
    const consumer = start(
      { name: 'lagging', sequence: { category: 'order' }, partitions: 4, startFrom: 'beginning' },
      [],
    );
    const status = await (async () => {
      await consumer.start();
      await waitFor(async () => (await millrace.consumerStatus('lagging')).lag === 0, 'caught up');
      await consumer.stop();
      await publishOrders(12, 8, 40);
      return millrace.consumerStatus('lagging');
    })();
    expect(status.partitions).toBe(4);
    expect(status.positions).toHaveLength(4);
    expect(status.lag).toBe(status.positions.reduce((sum, p) => sum + p.lag, 0));
    expect(status.lag).toBe(12);
    expect((await millrace.consumerStatuses()).map((s) => s.name)).toEqual(['lagging']);
  });
});
