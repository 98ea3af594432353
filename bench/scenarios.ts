/**
 * The foundation scenarios: publish (single events from concurrent
 * publishers, batches of 1,000), drain with one no-op consumer, and
 * publish-to-handle latency at a steady rate.
 */
import type { EventInput, Millrace, StartFromInput } from '../src/index.js';
import { percentile, perSecond, progress } from './stats.js';

const DATA = {
  orderId: 'ord-7f3a9c',
  customer: 'cus-1842',
  total: 129.95,
  currency: 'EUR',
  items: 3,
};

export function orderEvent(i: number, streams: number, category = 'order'): EventInput {
  return { stream: `${category}-${i % streams}`, subject: 'order.placed', data: { ...DATA, n: i } };
}

/** Single publishes, `concurrency` at a time. Returns events/s. */
export async function publishSingles(
  millrace: Millrace,
  count: number,
  concurrency: number,
): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        await millrace.publish(orderEvent(i, 10_000));
        if (i % 1000 === 0) progress(`  single publishes: ${i}/${count}`);
      }
    }),
  );
  return perSecond(count, performance.now() - started);
}

/** Streams the batches spread over: 200,000 events make 20 per stream, an order's life. */
export const BATCH_STREAMS = 10_000;

/** Batches of `size` from `publishers` concurrent publishers, in `category`. Returns events/s. */
export async function publishBatches(
  millrace: Millrace,
  count: number,
  size: number,
  publishers: number,
  category = 'order',
): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: publishers }, async () => {
      while (next < count) {
        const first = next;
        next += size;
        await millrace.publishBatch(
          Array.from({ length: Math.min(size, count - first) }, (_, j) =>
            orderEvent(first + j, BATCH_STREAMS, category),
          ),
        );
        if (first % (size * 20) === 0) progress(`  batches: ${first}/${count}`);
      }
    }),
  );
  return perSecond(count, performance.now() - started);
}

export interface DrainOptions {
  readonly partitions?: number;
  readonly batchSize?: number;
  readonly concurrency?: number;
  /** Where the consumer starts; the drain counts `count` events from there. */
  readonly startFrom?: StartFromInput;
  readonly name?: string;
  /** The category drained: `order` unless said. */
  readonly category?: string;
}

/** One consumer with a no-op handler drains `count` events of category order. Returns events/s. */
export async function drain(
  millrace: Millrace,
  count: number,
  options: DrainOptions = {},
): Promise<number> {
  const partitions = options.partitions ?? 8;
  let handled = 0;
  let finish: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const consumer = millrace.consumer({
    name: options.name ?? `drain-p${partitions}`,
    sequence: { category: options.category ?? 'order' },
    partitions,
    batchSize: options.batchSize,
    concurrency: options.concurrency,
    startFrom: options.startFrom,
    handler: () => {
      handled++;
      if (handled === count) finish();
      if (handled % 20_000 === 0) progress(`  drain p=${partitions}: ${handled}/${count}`);
    },
  });
  const started = performance.now();
  await consumer.start();
  await done;
  const rate = perSecond(count, performance.now() - started);
  await consumer.stop();
  return rate;
}

export interface Latency {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly count: number;
}

/**
 * Publishes single events at a steady `rate` for `seconds` while one
 * consumer handles them; latency runs from the publish call to the handler.
 */
export async function latency(millrace: Millrace, rate: number, seconds: number): Promise<Latency> {
  const samples: number[] = [];
  const total = rate * seconds;
  const sentAt = new Map<number, number>();
  const consumer = millrace.consumer({
    name: 'latency',
    sequence: { category: 'ping' },
    partitions: 4,
    startFrom: 'end',
    handler: (event) => {
      const n = (event.data as { n: number }).n;
      const sent = sentAt.get(n);
      if (sent !== undefined) samples.push(performance.now() - sent);
    },
  });
  await consumer.start();
  const interval = 1000 / rate;
  const started = performance.now();
  const inflight = new Set<Promise<unknown>>();
  for (let n = 0; n < total; n++) {
    const due = started + n * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    sentAt.set(n, performance.now());
    const publish = millrace.publish({
      stream: `ping-${n % 100}`,
      subject: 'ping.sent',
      data: { n },
    });
    inflight.add(publish);
    void publish.finally(() => inflight.delete(publish));
    if (n % rate === 0) progress(`  latency: ${n}/${total}`);
  }
  await Promise.all(inflight);
  const deadline = Date.now() + 10_000;
  while (samples.length < total && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await consumer.stop();
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
    count: sorted.length,
  };
}
