/**
 * Retries, dead letters, handler decisions, ack timeouts, the low watermark
 * and replay: the consumer runtime's rules, which every provider shares. The
 * same suite runs on memory (test/unit) and on every conformance target
 * (test/conformance/delivery-rules.conformance.test.ts).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConsumerOptions } from '../../src/core/consumer/options.js';
import type { Event } from '../../src/core/event.js';
import type { Millrace } from '../../src/millrace.js';
import { cancel, comparePositions, deadLetter, retryAfter } from '../../src/index.js';
import { waitFor } from './wait.js';

/** Fresh data per test; `open` starts one more instance on it (a restart, or another process). */
export interface SuiteBackend {
  open(): Promise<Millrace>;
  close(): Promise<void>;
}

/** What the backend allows beyond the common rules. */
export interface SuiteOptions {
  /**
   * A reset while members run (millrace's allocator re-grants every
   * partition). Kafka sets a group's offsets only while it is empty: there
   * the suite checks the refusal, and the replay after a stop.
   */
  readonly resetWhileRunning: boolean;
  /**
   * Where a category's partition count is the backend's (Kafka topics,
   * Redis streams), the count a new one gets: a consumer runs with that many.
   */
  readonly categoryPartitions?: number;
}

export function deliverySuite(
  makeBackend: () => Promise<SuiteBackend>,
  { resetWhileRunning, categoryPartitions }: SuiteOptions = { resetWhileRunning: true },
): void {
  let backend: SuiteBackend;
  const open = () => backend.open();

  beforeEach(async () => {
    backend = await makeBackend();
  });
  afterEach(async () => {
    await backend.close();
  });

  const n = (event: Event) => (event.data as { n: number }).n;

  /** Events n = 0.. over the given streams, in this order. */
  async function publish(millrace: Millrace, streams: readonly string[]): Promise<void> {
    await millrace.publishBatch(
      streams.map((stream, i) => ({ stream, subject: 'order.placed', data: { n: i } })),
    );
  }

  function consumer(
    millrace: Millrace,
    handler: ConsumerOptions['handler'],
    options: Partial<ConsumerOptions> = {},
  ) {
    return millrace.consumer({
      name: 'billing',
      sequence: { category: 'order' },
      partitions: 1,
      retry: { type: 'fixed', delayMs: 20 },
      commitIntervalMs: 10,
      handler,
      ...options,
    });
  }

  describe('dead letters', () => {
    it('dead-letters an event after maxAttempts, with the last error, and moves on', async () => {
      const millrace = await open();
      await publish(millrace, ['order-1', 'order-1', 'order-2']);
      const done: number[] = [];
      const billing = consumer(
        millrace,
        (event) => {
          if (n(event) === 0) throw Object.assign(new Error('card declined'), { code: 'DECLINED' });
          done.push(n(event));
        },
        { maxAttempts: 3 },
      );
      await billing.start();
      await waitFor(() => done.length === 2, 'the other events handled');
      const { records } = await millrace.deadLetters.list({ consumer: 'billing' });
      expect(records).toHaveLength(1);
      const [letter] = records;
      expect(letter).toMatchObject({
        consumer: 'billing',
        state: 'discarded',
        attempts: 3,
        lastError: { message: 'card declined', code: 'DECLINED' },
        event: { stream: 'order-1', data: { n: 0 } },
      });
      expect(letter?.lastError?.stack).toMatch(/card declined/);
      // The stream's next event waited for the dead letter, then went on.
      expect(done).toEqual(expect.arrayContaining([1, 2]));
      await billing.stop();
      const [position] = await millrace.provider.positions.load('billing');
      expect(position?.position).not.toBe('0');
    });

    it('writes nothing for events handled on their first attempt', async () => {
      const millrace = await open();
      await publish(millrace, ['order-1', 'order-2', 'order-3']);
      let handled = 0;
      const billing = consumer(millrace, () => {
        handled++;
      });
      await billing.start();
      await waitFor(() => handled === 3, 'three handled');
      await billing.stop();
      for (const state of ['retryable', 'discarded', 'cancelled'] as const) {
        expect((await millrace.deadLetters.list({ state })).records).toEqual([]);
      }
    });

    it('retries a dead letter on request: its owner handles it again, apart from the live events', async () => {
      const millrace = await open();
      await publish(millrace, ['order-1', 'order-2']);
      let failing = true;
      const done: number[] = [];
      const billing = consumer(
        millrace,
        (event) => {
          if (n(event) === 0 && failing) throw new Error('down');
          done.push(n(event));
        },
        { maxAttempts: 1, pollIntervalMs: 50 },
      );
      await billing.start();
      await waitFor(
        async () => (await millrace.deadLetters.list()).records.length === 1,
        'a dead letter',
      );
      failing = false;
      expect(await millrace.deadLetters.retry({ consumer: 'billing' })).toBe(1);
      await waitFor(() => done.includes(0), 'the retried dead letter handled', 5000);
      await waitFor(
        async () => (await millrace.deadLetters.list({ state: 'retryable' })).records.length === 0,
        'its record gone once handled',
      );
      expect((await millrace.deadLetters.list()).records).toEqual([]);
      expect(done.filter((x) => x === 1)).toHaveLength(1);
    });

    it('discards dead letters for good, by filter', async () => {
      const millrace = await open();
      await publish(millrace, ['order-1', 'order-2', 'order-3']);
      const billing = consumer(millrace, (event) => {
        if (n(event) < 2) return deadLetter(`bad order ${n(event)}`);
        return undefined;
      });
      await billing.start();
      await waitFor(async () => (await millrace.deadLetters.list()).records.length === 2, 'two');
      const [newest] = (await millrace.deadLetters.list()).records;
      expect(newest?.lastError).toMatchObject({ code: 'dead_letter' });
      expect(await millrace.deadLetters.discard({ eventId: newest?.event.id })).toBe(1);
      expect((await millrace.deadLetters.list()).records).toHaveLength(1);
      expect(await millrace.deadLetters.discard({})).toBe(1);
      expect((await millrace.deadLetters.list()).records).toEqual([]);
    });

    it('refuses a bad filter with a typed error', async () => {
      const millrace = await open();
      await expect(millrace.deadLetters.list({ state: 'lost' as never })).rejects.toMatchObject({
        code: 'validation',
        details: { field: 'state' },
      });
      await expect(millrace.deadLetters.retry({ consumer: 'Bad Name' })).rejects.toThrow(
        /consumer/,
      );
      await expect(millrace.deadLetters.discard({ subject: 'a.>.b' })).rejects.toThrow(/subject/);
      await expect(millrace.deadLetters.list({ limit: 0 })).rejects.toMatchObject({
        details: { field: 'limit' },
      });
      await expect(millrace.deadLetters.get('billing', 'nope')).rejects.toMatchObject({
        code: 'validation',
      });
    });
  });

  describe('handler decisions', () => {
    it('retries after the delay the handler asked for, counting the attempt', async () => {
      const millrace = await open();
      await publish(millrace, ['order-1']);
      const attempts: { attempt: number; at: number }[] = [];
      const billing = consumer(millrace, (_event, context) => {
        attempts.push({ attempt: context.attempt, at: Date.now() });
        return context.attempt < 2 ? retryAfter(80, 'not yet') : undefined;
      });
      await billing.start();
      await waitFor(() => attempts.length === 2, 'two attempts');
      expect((attempts[1]?.at ?? 0) - (attempts[0]?.at ?? 0)).toBeGreaterThanOrEqual(75);
    });

    it('cancels an event: recorded as cancelled, and the stream goes on', async () => {
      const millrace = await open();
      await publish(millrace, ['order-1', 'order-1']);
      const done: number[] = [];
      const billing = consumer(millrace, (event) => {
        if (n(event) === 0) return cancel('order withdrawn');
        done.push(n(event));
        return undefined;
      });
      await billing.start();
      await waitFor(() => done.includes(1), 'the next event');
      const { records } = await millrace.deadLetters.list({ state: 'cancelled' });
      expect(records.map((r) => [n(r.event), r.lastError?.message])).toEqual([
        [0, 'order withdrawn'],
      ]);
    });
  });

  describe('ordering modes under failure', () => {
    /** Stream a fails its first event twice; b and a's second event follow. */
    async function run(ordering: 'stream' | 'partition' | 'none') {
      const millrace = await open();
      await publish(millrace, ['order-a', 'order-a', 'order-b', 'order-b']);
      const order: number[] = [];
      const billing = consumer(
        millrace,
        (event, context) => {
          if (n(event) === 0 && context.attempt < 3) throw new Error('flaky');
          order.push(n(event));
        },
        { ordering, retry: { type: 'fixed', delayMs: 60 } },
      );
      await billing.start();
      await waitFor(() => order.length === 4, 'all four handled');
      await billing.stop();
      return order;
    }

    it('stream: a retrying event holds back only its own stream', async () => {
      const order = await run('stream');
      expect(order.slice(0, 2)).toEqual([2, 3]);
      expect(order.indexOf(0)).toBeLessThan(order.indexOf(1));
    });

    it('partition: a retrying event holds back its whole partition', async () => {
      expect(await run('partition')).toEqual([0, 1, 2, 3]);
    });

    it('none: a retrying event holds back nothing', async () => {
      const order = await run('none');
      expect(order.slice(0, 3).sort()).toEqual([1, 2, 3]);
      expect(order[3]).toBe(0);
    });

    it('never commits past an unfinished event (the low watermark)', async () => {
      const millrace = await open();
      await publish(millrace, ['order-a', 'order-b', 'order-c']);
      const done: number[] = [];
      let release = false;
      const billing = consumer(
        millrace,
        (event) => {
          if (n(event) === 0 && !release) throw new Error('later');
          done.push(n(event));
        },
        { ordering: 'none', retry: { type: 'fixed', delayMs: 30 } },
      );
      const committed: string[] = [];
      billing.signals.on('committed', (commits) =>
        commits.forEach((c) => committed.push(c.position)),
      );
      await billing.start();
      await waitFor(() => done.length === 2, 'the two others');
      await new Promise((resolve) => setTimeout(resolve, 100));
      const first = (await millrace.read({ sequence: { category: 'order' }, limit: 1 }))
        .events[0] as Event;
      for (const position of committed) expect(comparePositions(position, first.position)).toBe(-1);
      release = true;
      await waitFor(() => done.length === 3, 'the held one');
      await billing.stop();
      const [stored] = await millrace.provider.positions.load('billing');
      expect(comparePositions(stored?.position ?? '0', first.position)).toBe(1);
    });

    it('fills the holes behind finished work on a graceful stop, so a restart redoes nothing', async () => {
      const millrace = await open();
      await publish(millrace, ['order-a', 'order-a', 'order-b', 'order-b', 'order-b']);
      const seen: number[] = [];
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => (release = resolve));
      const billing = consumer(millrace, async (event) => {
        if (n(event) === 0) await held;
        seen.push(n(event));
      });
      await billing.start();
      await waitFor(() => seen.length === 3, "stream b's events, while a's first is held");
      const stopped = billing.stop();
      release();
      await stopped;
      // Event 1 (behind finished ones) was handled before the stop ended.
      expect([...seen].sort()).toEqual([0, 1, 2, 3, 4]);
      const again: number[] = [];
      const restarted = consumer(millrace, (event) => {
        again.push(n(event));
      });
      await restarted.start();
      await millrace.publish({ stream: 'order-c', subject: 'order.placed', data: { n: 5 } });
      await waitFor(() => again.includes(5), 'the new event');
      expect(again).toEqual([5]);
    });

    it('carries attempts over a restart: a retrying event goes on counting', async () => {
      let millrace = await open();
      await publish(millrace, ['order-1']);
      const seen: number[] = [];
      const failing = () =>
        consumer(
          millrace,
          (_event, context) => {
            seen.push(context.attempt);
            throw new Error('down');
          },
          { maxAttempts: 3, retry: { type: 'fixed', delayMs: 10_000 } },
        );
      let billing = failing();
      await billing.start();
      await waitFor(() => seen.length === 1, 'the first attempt');
      await waitFor(
        async () => (await millrace.deadLetters.list({ state: 'retryable' })).records.length === 1,
        'its retry recorded',
      );
      await billing.stop();
      await millrace.close();
      millrace = await open();
      billing = failing();
      await billing.start();
      await waitFor(() => seen.length === 2, 'the attempt after the restart');
      expect(seen).toEqual([1, 2]);
      await billing.stop();
    });
  });

  describe('at-most-once', () => {
    it('stores the position past an event before handling it, and never tries a failure again', async () => {
      const millrace = await open();
      await publish(millrace, ['order-1', 'order-2', 'order-3']);
      const storedAtHandling: boolean[] = [];
      const attempts: number[] = [];
      const billing = consumer(
        millrace,
        async (event) => {
          const [stored] = await millrace.provider.positions.load('billing');
          storedAtHandling.push(comparePositions(stored?.position ?? '0', event.position) >= 0);
          attempts.push(n(event));
          if (n(event) === 1) throw new Error('lost, not retried');
        },
        { delivery: 'at-most-once', maxAttempts: 5 },
      );
      await billing.start();
      await waitFor(
        async () => (await millrace.deadLetters.list()).records.length === 1,
        'a dead letter',
      );
      await waitFor(() => attempts.length === 3, 'three handlings');
      expect(storedAtHandling).toEqual([true, true, true]);
      expect(attempts.sort()).toEqual([0, 1, 2]);
      const [letter] = (await millrace.deadLetters.list()).records;
      expect(letter?.attempts).toBe(1);
      await billing.stop();
    });
  });

  describe('ack timeout', () => {
    it('fails an attempt that runs too long, aborts its signal, and tries again', async () => {
      const millrace = await open();
      await publish(millrace, ['order-1']);
      const aborted: unknown[] = [];
      let finished = 0;
      const billing = consumer(
        millrace,
        async (_event, context) => {
          if (context.attempt === 1) {
            await new Promise<void>((resolve) =>
              context.signal.addEventListener('abort', () => {
                aborted.push(context.signal.reason);
                resolve();
              }),
            );
            return;
          }
          finished++;
        },
        { ackTimeoutMs: 100 },
      );
      const failures: unknown[] = [];
      billing.signals.on('failed', (_e, _p, _a, error) => failures.push(error));
      await billing.start();
      await waitFor(() => finished === 1, 'the second attempt');
      expect(failures).toHaveLength(1);
      expect(failures[0]).toMatchObject({ code: 'timeout', reason: 'ack_timeout' });
      expect(aborted[0]).toBe(failures[0]);
    });
  });

  describe('replay: resetting a consumer', () => {
    // Registered only where it applies, so no run shows a skipped test: each
    // backend runs exactly one of these two.
    if (!resetWhileRunning)
      it('refuses a reset while members run (ConflictError), then replays once they stopped', async () => {
        const millrace = await open();
        await publish(millrace, ['order-1', 'order-2', 'order-3']);
        const seen: number[] = [];
        const first = consumer(millrace, (event) => void seen.push(n(event)));
        await first.start();
        await waitFor(() => seen.length === 3, 'the first pass');
        await expect(millrace.resetConsumer('billing', 'beginning')).rejects.toMatchObject({
          code: 'conflict',
          reason: 'consumer_running',
        });
        await first.stop();
        await millrace.resetConsumer('billing', 'beginning');
        const second = consumer(millrace, (event) => void seen.push(n(event)));
        await second.start();
        await waitFor(() => seen.length === 6, 'the replay', 10_000);
        expect(seen.slice(3).sort()).toEqual([0, 1, 2]);
        await second.stop();
      });

    if (resetWhileRunning)
      it('replays from the beginning while it runs, under a new generation, and skips to the end', async () => {
        const partitions = categoryPartitions ?? 2;
        const millrace = await open();
        await publish(millrace, ['order-1', 'order-2', 'order-3']);
        const seen: { n: number; generation: number }[] = [];
        const billing = consumer(
          millrace,
          (event, context) => {
            seen.push({ n: n(event), generation: context.generation });
          },
          { partitions },
        );
        await billing.start();
        await waitFor(() => seen.length === 3, 'the first pass');
        const before = Math.max(...seen.map((s) => s.generation));
        await millrace.resetConsumer('billing', 'beginning');
        await waitFor(() => seen.length === 6, 'the replay', 5000);
        expect(
          seen
            .slice(3)
            .map((s) => s.n)
            .sort(),
        ).toEqual([0, 1, 2]);
        expect(Math.min(...seen.slice(3).map((s) => s.generation))).toBeGreaterThan(before);
        // Once the members work under the reset's generation, nothing before the end comes again.
        const reassigned = new Promise<void>((resolve) =>
          billing.signals.on('assigned', (assignment) => {
            if (assignment.partitions.length === partitions) resolve();
          }),
        );
        await millrace.resetConsumer('billing', 'end');
        await reassigned;
        await publish(millrace, ['order-4']);
        await waitFor(() => seen.length === 7, 'only the new event', 5000);
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(seen.slice(6).map((s) => s.n)).toEqual([0]);
        await billing.stop();
      });

    it('refuses an unknown consumer and a bad target, changing nothing', async () => {
      const millrace = await open();
      await expect(millrace.resetConsumer('nobody', 'beginning')).rejects.toMatchObject({
        code: 'not_found',
      });
      await expect(millrace.resetConsumer('billing', 'middle' as never)).rejects.toMatchObject({
        code: 'validation',
      });
      await expect(millrace.resetConsumer('Bad Name', 'end')).rejects.toMatchObject({
        code: 'validation',
      });
    });
  });
}
