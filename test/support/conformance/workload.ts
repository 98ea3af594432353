/**
 * What the scenarios publish and what they check afterwards. Events carry
 * their own place in their stream (`data.n`), so order is checked the same
 * way on every backend: stream versions and global positions are not
 * something every provider has (Kafka has neither).
 */
import { expect } from 'vitest';
import type {
  Event,
  EventInput,
  HandlerContext,
  JsonObject,
  Millrace,
} from '../../../src/index.js';
import { Random } from '../random.js';
import { readPartitions } from '../read-log.js';
import { waitFor } from '../wait.js';
import type { TargetInstance } from './targets.js';

export interface Sent {
  readonly id: string;
  readonly stream: string;
  /** Its place among this workload's events of its stream, from 0. */
  readonly n: number;
  readonly subject: string;
}

export interface WorkloadData {
  readonly n: number;
}

/** Events over `streams` streams of one category, published in batches, remembered in order. */
export class Workload {
  readonly sent: Sent[] = [];
  private readonly counts = new Map<string, number>();
  private readonly random: Random;

  constructor(
    readonly category: string,
    readonly streams: number,
    seed = 7,
  ) {
    this.random = new Random(seed);
  }

  /** `count` events on random streams, each with the next `n` of its stream. */
  inputs(count: number, subject = 'order.placed', metadata?: JsonObject): EventInput[] {
    return Array.from({ length: count }, () => {
      const stream = `${this.category}-${this.random.int(0, this.streams - 1)}`;
      const n = this.counts.get(stream) ?? 0;
      this.counts.set(stream, n + 1);
      return { stream, subject, data: { n }, ...(metadata === undefined ? {} : { metadata }) };
    });
  }

  /** Publishes `count` events in one batch. */
  async publish(millrace: Millrace, count: number, subject?: string): Promise<Sent[]> {
    const inputs = this.inputs(count, subject);
    return this.record(inputs, await millrace.publishBatch(inputs));
  }

  /** Remembers what a publish of `inputs` answered. */
  record(inputs: readonly EventInput[], results: readonly { id: string }[]): Sent[] {
    const sent = inputs.map((input, i) => ({
      id: results[i]?.id ?? '',
      stream: input.stream,
      n: (input.data as unknown as WorkloadData).n,
      subject: input.subject,
    }));
    this.sent.push(...sent);
    return sent;
  }

  /**
   * Publishes `batch` events every `everyMs` until stopped; `stop()` resolves
   * once the last batch is in (and rethrows a failed publish).
   */
  publishSteadily(millrace: Millrace, batch: number, everyMs: number): { stop(): Promise<void> } {
    let running = true;
    const loop = (async () => {
      while (running) {
        await this.publish(millrace, batch);
        await new Promise((resolve) => setTimeout(resolve, everyMs));
      }
    })();
    // Observed here so a test that fails before `stop()` reports its own error, not this one.
    loop.catch(() => undefined);
    return {
      stop() {
        running = false;
        return loop;
      },
    };
  }
}

export interface Handling {
  readonly id: string;
  readonly stream: string;
  readonly n: number;
  readonly subject: string;
  /** Where the provider put it (comparable within a partition). */
  readonly position: string;
  /** Which member handled it: a label the test chooses. */
  readonly member: string;
  readonly partition: number;
  readonly attempt: number;
  /** Epoch milliseconds with a fraction, when the handler finished. */
  readonly at: number;
}

/** Epoch milliseconds with sub-millisecond precision, comparable across processes on one machine. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

/** Every successful handling, in the order handlers finished. */
export class Handlings {
  readonly all: Handling[] = [];

  add(event: Event, context: Pick<HandlerContext, 'partition' | 'attempt'>, member = 'a'): void {
    this.all.push({
      id: event.id,
      stream: event.stream,
      n: (event.data as unknown as WorkloadData).n,
      subject: event.subject,
      position: event.position,
      member,
      partition: context.partition,
      attempt: context.attempt,
      at: preciseNow(),
    });
  }

  push(...handlings: Handling[]): void {
    this.all.push(...handlings);
  }

  ids(): Set<string> {
    return new Set(this.all.map((h) => h.id));
  }

  of(member: string): Handling[] {
    return this.all.filter((h) => h.member === member);
  }

  /** Resolves once every one of `sent` was handled at least once. */
  async waitForAll(
    sent: readonly Pick<Sent, 'id'>[],
    what: string,
    timeoutMs: number,
  ): Promise<void> {
    await waitFor(
      () => {
        const ids = this.ids();
        return sent.every((s) => ids.has(s.id));
      },
      `${what}: ${sent.length} events handled`,
      timeoutMs,
    ).catch((error: Error) => {
      const ids = this.ids();
      const missing = sent.filter((s) => !ids.has(s.id));
      throw new Error(
        `${error.message}; ${missing.length} missing, e.g. ${JSON.stringify(missing.slice(0, 3))}`,
      );
    });
  }
}

/** The events handled more than once. */
export function duplicates(handlings: readonly Handling[]): string[] {
  const counts = new Map<string, number>();
  for (const h of handlings) counts.set(h.id, (counts.get(h.id) ?? 0) + 1);
  return [...counts].filter(([, count]) => count > 1).map(([id]) => id);
}

/** Every one of `sent` handled exactly once, and nothing else handled. */
export function expectEachOnce(handlings: readonly Handling[], sent: readonly Sent[]): void {
  const expected = new Set(sent.map((s) => s.id));
  const handled = new Set(handlings.map((h) => h.id));
  expect({
    missing: sent.filter((s) => !handled.has(s.id)).map((s) => s.id),
    unexpected: handlings.filter((h) => !expected.has(h.id)).map((h) => h.id),
    duplicates: duplicates(handlings),
  }).toEqual({ missing: [], unexpected: [], duplicates: [] });
}

/**
 * Per stream, the first handling of each event comes in publish order
 * (`n` strictly increasing by time). Later handlings of an event (redone
 * after a crash) may interleave and are ignored. Returns the handled `n`s
 * per stream, for further checks.
 */
export function expectStreamOrder(handlings: readonly Handling[]): Map<string, number[]> {
  const firsts = new Map<string, Handling>();
  // A stable sort: handlings of one process keep their order on equal times.
  for (const h of [...handlings].sort((a, b) => a.at - b.at)) {
    if (!firsts.has(h.id)) firsts.set(h.id, h);
  }
  const perStream = new Map<string, number[]>();
  for (const h of firsts.values()) {
    const ns = perStream.get(h.stream) ?? [];
    ns.push(h.n);
    perStream.set(h.stream, ns);
  }
  const outOfOrder = [...perStream].filter(([, ns]) => ns.some((n, i) => i > 0 && n <= ns[i - 1]!));
  expect(outOfOrder.map(([stream, ns]) => `${stream}: ${ns.join(',')}`)).toEqual([]);
  return perStream;
}

/**
 * Every event of a category (a page of it where the log has one order),
 * else partition by partition, in partition order.
 */
export async function readCategory(
  millrace: Millrace,
  category: string,
  instance: TargetInstance,
): Promise<Event[]> {
  const count = instance.categoryPartitions;
  if (count === undefined) return [...(await millrace.read({ sequence: { category } })).events];
  return readPartitions(millrace, category, count);
}
