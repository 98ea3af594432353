import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PositionCommit } from '../../src/core/contracts/positions.js';
import type { ProviderFactory } from '../../src/core/contracts/provider.js';
import type { ConsumerOptions } from '../../src/core/consumer/options.js';
import type { HandlerContext } from '../../src/core/consumer/handler.js';
import { ClosedError } from '../../src/core/errors.js';
import type { Event } from '../../src/core/event.js';
import { comparePositions } from '../../src/core/position.js';
import { Millrace } from '../../src/millrace.js';
import { streamHash } from '../../src/core/kit/stream-hash.js';
import { memory } from '../../src/testing.js';
import { recordingLogger, waitFor } from '../support/wait.js';

const opened: Millrace[] = [];

async function open(factory: ProviderFactory = memory()) {
  const logger = recordingLogger();
  const millrace = await Millrace.open({ provider: factory, logger });
  opened.push(millrace);
  return { millrace, logger };
}

afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(opened.splice(0).map((m) => m.close()));
});

/** Publishes `count` events spread over `streams` streams of category `order`. */
async function publish(millrace: Millrace, count: number, streams = 10, from = 0): Promise<void> {
  await millrace.publishBatch(
    Array.from({ length: count }, (_, i) => ({
      stream: `order-${(from + i) % streams}`,
      subject: (from + i) % 3 === 0 ? 'order.cancelled' : 'order.created',
      data: { n: from + i },
    })),
  );
}

function n(event: Event): number {
  return (event.data as { n: number }).n;
}

interface Handled {
  readonly event: Event;
  readonly context: HandlerContext;
}

/** A consumer whose handler records what it saw. */
function recorder(millrace: Millrace, options: Partial<ConsumerOptions> = {}) {
  const handled: Handled[] = [];
  const consumer = millrace.consumer({
    name: 'recorder',
    sequence: { category: 'order' },
    handler: (event, context) => {
      handled.push({ event, context });
    },
    ...options,
  });
  return { consumer, handled };
}

/** Two streams that fall into different partitions of `count`. */
function streamsInDifferentPartitions(count: number): [string, string] {
  const first = 'order-a';
  for (let i = 0; ; i++) {
    const other = `order-b${i}`;
    if (streamHash(other) % count !== streamHash(first) % count) return [first, other];
  }
}

describe('a consumer on the memory provider', () => {
  it.each(['stream', 'partition', 'none'] as const)(
    'handles every event once, in order per stream (%s ordering)',
    async (ordering) => {
      const { millrace } = await open();
      await publish(millrace, 150, 20);
      const { consumer, handled } = recorder(millrace, { partitions: 4, batchSize: 7, ordering });
      await consumer.start();
      await publish(millrace, 50, 20, 150);
      await waitFor(() => handled.length >= 200, '200 events handled');
      await consumer.stop();
      expect(handled.map((h) => n(h.event)).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 200 }, (_, i) => i),
      );
      const lastVersion = new Map<string, number>();
      for (const { event, context } of handled) {
        expect(context.partition).toBe(streamHash(event.stream) % 4);
        if (ordering === 'none') continue;
        expect(event.version).toBe((lastVersion.get(event.stream) ?? -1) + 1);
        lastVersion.set(event.stream, event.version);
      }
    },
  );

  it('takes a thenable that settles at once, or later, or rejects, as a promise: each event once', async () => {
    const { millrace } = await open();
    await publish(millrace, 30, 5);
    const seen: number[] = [];
    const failedOnce = new Set<number>();
    // A hand-made thenable (not a Promise) calling back before then() returns, or on a later turn.
    const thenable = (settle: 'now' | 'later', fail: boolean) => ({
      then(onFulfilled: (value: unknown) => void, onRejected: (error: unknown) => void) {
        const call = () => (fail ? onRejected(new Error('not yet')) : onFulfilled(undefined));
        if (settle === 'now') call();
        else setImmediate(call);
      },
    });
    const consumer = millrace.consumer({
      name: 'thenables',
      sequence: { category: 'order' },
      partitions: 2,
      maxAttempts: 2,
      retry: { type: 'fixed', delayMs: 0 },
      handler: (event) => {
        const i = n(event);
        const fail = i % 4 === 0 && !failedOnce.has(i);
        if (fail) failedOnce.add(i);
        else seen.push(i);
        // Typed as a promise: a handler in JavaScript may return any thenable.
        return thenable(i % 2 === 0 ? 'now' : 'later', fail) as unknown as Promise<undefined>;
      },
    });
    await consumer.start();
    await waitFor(() => seen.length >= 30, '30 events handled');
    await consumer.stop();
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    expect(failedOnce.size).toBe(8);
  });

  it('handles a partition strictly in position order with partition ordering', async () => {
    const { millrace } = await open();
    await publish(millrace, 150, 20);
    const { consumer, handled } = recorder(millrace, {
      partitions: 4,
      batchSize: 7,
      ordering: 'partition',
    });
    await consumer.start();
    expect(consumer.partitions).toEqual([0, 1, 2, 3]);
    await publish(millrace, 50, 20, 150);
    await waitFor(() => handled.length >= 200, '200 events handled');
    await consumer.stop();
    expect(handled.map((h) => n(h.event)).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 200 }, (_, i) => i),
    );
    const lastVersion = new Map<string, number>();
    const lastPosition = new Map<number, string>();
    for (const { event, context } of handled) {
      expect(context.partition).toBe(streamHash(event.stream) % 4);
      expect(event.version).toBe((lastVersion.get(event.stream) ?? -1) + 1);
      lastVersion.set(event.stream, event.version);
      const before = lastPosition.get(context.partition) ?? '0';
      expect(comparePositions(event.position, before)).toBe(1);
      lastPosition.set(context.partition, event.position);
    }
  });

  it('runs at most `concurrency` handlers at once across its partitions, each partition in order', async () => {
    const { millrace } = await open();
    await publish(millrace, 120, 40);
    let running = 0;
    let most = 0;
    const handled: Event[] = [];
    const consumer = millrace.consumer({
      name: 'bounded',
      sequence: { category: 'order' },
      partitions: 8,
      concurrency: 3,
      handler: async (event) => {
        running++;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 1));
        running--;
        handled.push(event);
      },
    });
    await consumer.start();
    await waitFor(() => handled.length === 120, '120 events handled');
    await consumer.stop();
    expect(most).toBe(3);
    const lastVersion = new Map<string, number>();
    for (const event of handled) {
      expect(event.version).toBe((lastVersion.get(event.stream) ?? -1) + 1);
      lastVersion.set(event.stream, event.version);
    }
  });

  it('gives the handler its context', async () => {
    const { millrace } = await open();
    await publish(millrace, 1);
    const { consumer, handled } = recorder(millrace, { partitions: 1 });
    await consumer.start();
    await waitFor(() => handled.length === 1, 'one event handled');
    expect(handled[0]?.context).toMatchObject({
      consumer: 'recorder',
      member: consumer.member.id,
      partition: 0,
      generation: 1,
      attempt: 1,
    });
    expect(handled[0]?.context.signal.aborted).toBe(false);
  });

  it('fans out: two consumers each get every event', async () => {
    const { millrace } = await open();
    await publish(millrace, 30);
    const a = recorder(millrace, { name: 'a' });
    const b = recorder(millrace, { name: 'b', partitions: 3 });
    await Promise.all([a.consumer.start(), b.consumer.start()]);
    await publish(millrace, 20, 10, 30);
    await waitFor(() => a.handled.length === 50 && b.handled.length === 50, 'both got 50');
    const numbers = (list: Handled[]) => list.map((h) => n(h.event)).sort((x, y) => x - y);
    expect(numbers(a.handled)).toEqual(numbers(b.handled));
  });

  it('gets only the subjects it asked for, and moves past the rest', async () => {
    const { millrace } = await open();
    await publish(millrace, 30);
    const { consumer, handled } = recorder(millrace, {
      subjects: ['order.cancelled'],
      partitions: 2,
    });
    await consumer.start();
    await waitFor(() => handled.length === 10, 'the cancelled events');
    await consumer.stop();
    expect(handled.every((h) => h.event.subject === 'order.cancelled')).toBe(true);
    expect((await millrace.consumerStatus('recorder')).lag).toBe(0);
    const positions = await millrace.provider.positions.load('recorder');
    expect(positions.map((p) => p.position)).toEqual(['30', '30']);
  });

  it('reads one stream, or the whole log', async () => {
    const { millrace } = await open();
    await publish(millrace, 20, 4);
    await millrace.publish({ stream: 'user-1', subject: 'user.created', data: { n: 99 } });
    const stream = recorder(millrace, { name: 's', sequence: { stream: 'order-1' } });
    const log = recorder(millrace, { name: 'l', sequence: 'log' });
    await Promise.all([stream.consumer.start(), log.consumer.start()]);
    await waitFor(() => stream.handled.length === 5 && log.handled.length === 21, 'both read');
    expect(stream.handled.map((h) => h.event.version)).toEqual([0, 1, 2, 3, 4]);
  });

  it('is woken by a publish instead of waiting for the next poll', async () => {
    const { millrace } = await open();
    const { consumer, handled } = recorder(millrace, { pollIntervalMs: 3_600_000 });
    await consumer.start();
    await publish(millrace, 3);
    await waitFor(() => handled.length === 3, 'events handled on a wake-up', 2_000);
  });
});

describe('where a new consumer starts', () => {
  it('starts from the beginning by default', async () => {
    const { millrace } = await open();
    await publish(millrace, 5);
    const { consumer, handled } = recorder(millrace);
    await consumer.start();
    await waitFor(() => handled.length === 5, 'the old events');
  });

  it('starts from the end: only events published after it started', async () => {
    const { millrace } = await open();
    await publish(millrace, 5);
    const { consumer, handled } = recorder(millrace, { startFrom: 'end' });
    await consumer.start();
    await publish(millrace, 3, 10, 5);
    await waitFor(() => handled.length === 3, 'the new events');
    await consumer.stop();
    expect(handled.map((h) => n(h.event)).sort()).toEqual([5, 6, 7]);
  });

  it('starts after a position', async () => {
    const { millrace } = await open();
    await publish(millrace, 10);
    const { consumer, handled } = recorder(millrace, { startFrom: { position: '7' } });
    await consumer.start();
    await waitFor(() => handled.length === 3, 'the events after 7');
    await consumer.stop();
    expect(handled.map((h) => h.event.position).sort()).toEqual(['10', '8', '9']);
  });

  it('starts at a time', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { millrace } = await open();
    vi.setSystemTime(new Date('2024-05-01T10:00:00Z'));
    await publish(millrace, 4);
    vi.setSystemTime(new Date('2024-05-01T11:00:00Z'));
    await publish(millrace, 2, 10, 4);
    vi.useRealTimers();
    const { consumer, handled } = recorder(millrace, {
      startFrom: { time: new Date('2024-05-01T10:30:00Z') },
    });
    await consumer.start();
    await waitFor(() => handled.length === 2, 'the later events');
    await consumer.stop();
    expect(handled.map((h) => n(h.event)).sort()).toEqual([4, 5]);
  });

  it('keeps its stored position over startFrom when it starts again', async () => {
    const factory = memory();
    const first = await open(factory);
    await publish(first.millrace, 6);
    const one = recorder(first.millrace, { partitions: 2 });
    await one.consumer.start();
    await waitFor(() => one.handled.length === 6, 'the first six');
    await first.millrace.close();

    const second = await open(factory);
    await publish(second.millrace, 4, 10, 6);
    const two = recorder(second.millrace, { partitions: 2, startFrom: 'end' });
    await two.consumer.start();
    await waitFor(() => two.handled.length === 4, 'the four published while it was down');
    await two.consumer.stop();
    expect(two.handled.map((h) => n(h.event)).sort()).toEqual([6, 7, 8, 9]);
  });
});

describe('position commits', () => {
  it('commits every N events, and on stop', async () => {
    const { millrace } = await open();
    await publish(millrace, 12, 1);
    const handled: Event[] = [];
    // Asynchronous, so events finish one by one (synchronous ones finish a page at a time).
    const consumer = millrace.consumer({
      name: 'recorder',
      sequence: { category: 'order' },
      partitions: 1,
      commitEveryEvents: 5,
      commitIntervalMs: 3_600_000,
      handler: async (event) => {
        await new Promise((resolve) => setImmediate(resolve));
        handled.push(event);
      },
    });
    const commits: { handled: number; commits: readonly PositionCommit[] }[] = [];
    consumer.signals.on('committed', (c) => commits.push({ handled: handled.length, commits: c }));
    await consumer.start();
    await waitFor(() => handled.length === 12 && commits.length === 2, 'two commits');
    for (const commit of commits) expect(commit.handled).toBeGreaterThanOrEqual(5);
    expect(Number(commits[1]?.commits[0]?.position)).toBeGreaterThanOrEqual(10);
    await consumer.stop();
    expect(commits).toHaveLength(3);
    expect(commits[2]?.commits).toEqual([{ partition: 0, position: '12', generation: 1 }]);
    expect((await millrace.provider.positions.load('recorder'))[0]).toMatchObject({
      position: '12',
      generation: 1,
    });
  });

  it('commits after the interval when fewer than N events arrive', async () => {
    const { millrace } = await open();
    const { consumer } = recorder(millrace, {
      partitions: 1,
      commitEveryEvents: 1000,
      commitIntervalMs: 20,
    });
    await consumer.start();
    const committed = consumer.signals.once('committed');
    await publish(millrace, 2);
    const [commits] = await committed;
    expect(commits).toEqual([{ partition: 0, position: '2', generation: 1 }]);
  });

  it('resumes from the committed position after a restart', async () => {
    const factory = memory();
    const first = await open(factory);
    await publish(first.millrace, 10);
    const before = recorder(first.millrace, { partitions: 3 });
    await before.consumer.start();
    await waitFor(() => before.handled.length === 10, 'ten handled');
    await first.millrace.close();
    expect(before.consumer.state).toBe('stopped');

    const second = await open(factory);
    const after = recorder(second.millrace, { partitions: 3 });
    await after.consumer.start();
    await publish(second.millrace, 5, 10, 10);
    await waitFor(() => after.handled.length === 5, 'the five new events');
    await after.consumer.stop();
    expect(after.handled.map((h) => n(h.event)).sort((a, b) => a - b)).toEqual([
      10, 11, 12, 13, 14,
    ]);
  });

  it('hands the work to a new partition count without skipping events', async () => {
    const factory = memory();
    const first = await open(factory);
    await publish(first.millrace, 20);
    const before = recorder(first.millrace, { partitions: 2 });
    await before.consumer.start();
    await waitFor(() => before.handled.length === 20, 'twenty handled');
    await first.millrace.close();

    const second = await open(factory);
    await publish(second.millrace, 10, 10, 20);
    const after = recorder(second.millrace, { partitions: 3 });
    await after.consumer.start();
    await waitFor(
      () => new Set(after.handled.map((h) => n(h.event))).size >= 10,
      'the ten new events',
    );
    await after.consumer.stop();
    const seen = new Set(after.handled.map((h) => n(h.event)));
    for (let i = 20; i < 30; i++) expect(seen.has(i)).toBe(true);
  });
});

describe('stopping', () => {
  it('waits for a running handler, then commits its event', async () => {
    const { millrace } = await open();
    await publish(millrace, 1);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let running = false;
    let finished = false;
    const consumer = millrace.consumer({
      name: 'slow',
      sequence: { category: 'order' },
      partitions: 1,
      handler: async () => {
        running = true;
        await released;
        finished = true;
      },
    });
    await consumer.start();
    await waitFor(() => running, 'the handler running');
    let stopped = false;
    const stopping = consumer.stop().then(() => (stopped = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(consumer.state).toBe('stopping');
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(finished).toBe(true);
    expect((await millrace.provider.positions.load('slow'))[0]?.position).toBe('1');
  });

  it('aborts the handler signal at the stop timeout', async () => {
    const { millrace, logger } = await open();
    await publish(millrace, 2, 1);
    let signal: AbortSignal | undefined;
    const consumer = millrace.consumer({
      name: 'stuck',
      sequence: { category: 'order' },
      partitions: 1,
      stopTimeoutMs: 30,
      handler: (_event, context) => {
        signal = context.signal;
        return new Promise<void>((_, reject) => {
          context.signal.addEventListener('abort', () => reject(context.signal.reason as Error));
        });
      },
    });
    await consumer.start();
    await waitFor(() => signal !== undefined, 'the handler running');
    await consumer.stop();
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBeInstanceOf(ClosedError);
    expect(logger.lines.map((l) => l.message)).toContain(
      'handlers still running at stop timeout; aborting their signal',
    );
    // The aborted event was not finished, so it is not committed.
    expect((await millrace.provider.positions.load('stuck'))[0]?.position).toBe('0');
  });

  it('stops a consumer that never started, and stops only once', async () => {
    const { millrace } = await open();
    const { consumer } = recorder(millrace);
    await consumer.stop();
    expect(consumer.state).toBe('stopped');
    const { consumer: started } = recorder(millrace, { name: 'other' });
    await started.start();
    await Promise.all([started.stop(), started.stop()]);
    expect(started.state).toBe('stopped');
  });
});

describe('failing handlers', () => {
  it('retries with backoff while later events of the partition wait', async () => {
    const { millrace } = await open();
    const [stuck, free] = streamsInDifferentPartitions(2);
    await millrace.publishBatch([
      { stream: stuck, subject: 'order.created', data: { n: 0 } },
      { stream: stuck, subject: 'order.created', data: { n: 1 } },
      { stream: free, subject: 'order.created', data: { n: 2 } },
      { stream: free, subject: 'order.created', data: { n: 3 } },
    ]);
    const attempts: { n: number; attempt: number; at: number }[] = [];
    const handled: number[] = [];
    const consumer = millrace.consumer({
      name: 'flaky',
      sequence: { category: 'order' },
      partitions: 2,
      retry: { type: 'exponential', baseMs: 20, capMs: 1000 },
      handler: (event, context) => {
        attempts.push({ n: n(event), attempt: context.attempt, at: Date.now() });
        if (n(event) === 0 && context.attempt < 4) throw new Error('not yet');
        handled.push(n(event));
      },
    });
    const failures: number[] = [];
    consumer.signals.on('failed', (_event, _partition, attempt) => failures.push(attempt));
    await consumer.start();
    await waitFor(() => handled.length === 4, 'all four handled');
    // The other partition went on while event 0 was failing.
    expect(handled.indexOf(2)).toBeLessThan(handled.indexOf(0));
    expect(handled.indexOf(3)).toBeLessThan(handled.indexOf(0));
    // Event 1 waited for event 0.
    expect(handled.indexOf(1)).toBe(handled.indexOf(0) + 1);
    expect(failures).toEqual([1, 2, 3]);
    const tries = attempts.filter((a) => a.n === 0);
    expect(tries.map((a) => a.attempt)).toEqual([1, 2, 3, 4]);
    // Equal jitter: at least half of 20, 40, 80 ms (less a little for timer granularity).
    const gaps = tries.slice(1).map((a, i) => a.at - (tries[i] as { at: number }).at);
    [10, 20, 40].forEach((least, i) => expect(gaps[i]).toBeGreaterThanOrEqual(least - 2));
  });

  it('frees its concurrency slot during the backoff, so other partitions go on', async () => {
    const { millrace } = await open();
    const [stuck, free] = streamsInDifferentPartitions(2);
    await millrace.publishBatch([
      { stream: stuck, subject: 'order.created', data: { n: 0 } },
      { stream: free, subject: 'order.created', data: { n: 1 } },
      { stream: free, subject: 'order.created', data: { n: 2 } },
    ]);
    const handled: number[] = [];
    const consumer = millrace.consumer({
      name: 'one-slot',
      sequence: { category: 'order' },
      partitions: 2,
      concurrency: 1,
      retry: { type: 'fixed', delayMs: 200 },
      handler: (event, context) => {
        if (n(event) === 0 && context.attempt < 2) throw new Error('not yet');
        handled.push(n(event));
      },
    });
    await consumer.start();
    await waitFor(() => handled.length === 3, 'all three handled');
    expect(handled).toEqual([1, 2, 0]);
  });
});

describe('signals', () => {
  it('emits started, assigned, handled, committed and stopped', async () => {
    const { millrace } = await open();
    await publish(millrace, 3);
    const { consumer } = recorder(millrace, { partitions: 1, commitEveryEvents: 3 });
    const seen: string[] = [];
    const handled: string[] = [];
    for (const name of ['started', 'assigned', 'committed', 'stopped'] as const) {
      consumer.signals.on(name, () => seen.push(name));
    }
    consumer.signals.on('handled', (event, partition) => {
      handled.push(`${event.position}@${partition}`);
    });
    const started = consumer.signals.once('started');
    await consumer.start();
    await started;
    await waitFor(() => seen.includes('committed'), 'a commit');
    expect(handled).toEqual(['1@0', '2@0', '3@0']);
    const stopped = consumer.signals.once('stopped');
    await consumer.stop();
    await stopped;
    expect(seen[0]).toBe('assigned');
    expect(seen[1]).toBe('started');
    expect(seen.at(-1)).toBe('stopped');
  });
});
