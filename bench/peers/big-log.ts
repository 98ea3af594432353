/**
 * Does consuming cost more once the log is long? The same tail of events is
 * drained from a log that holds only that tail and from one where 10 million
 * older events of the same category come before it (the consumer starts at
 * the tail's first position, as a consumer that has kept up would be).
 * Reads are index ranges, so the rate should not move with history; what
 * does is the one-time build of the index a new partition count needs,
 * timed apart as the first consumer's start.
 */
import type { Millrace } from '../../src/index.js';
import { openBench } from '../backends.js';
import { drain, orderEvent, BATCH_STREAMS } from '../scenarios.js';
import { perSecond, progress } from '../stats.js';

export interface BigLogResult {
  readonly logEvents: number;
  /** The newest events, drained each round. */
  readonly tail: number;
  /** Consume rate of each round, events/s. */
  readonly rounds: readonly number[];
  /** Publishing the log, events/s (batches of 1,000, 4 publishers). */
  readonly publishPerSecond: number;
  /**
   * The first consumer with 8 partitions of a category builds the index its
   * reads use (partition-index.ts), over the whole log, once: this start, ms.
   */
  readonly firstStartMs: number;
}

/** Publishes events `first`.. `first + count - 1`; returns the highest position written. */
async function fill(millrace: Millrace, first: number, count: number, label: string) {
  let next = first;
  let highest = 0n;
  const end = first + count;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < end) {
        const from = next;
        next += 1000;
        const published = await millrace.publishBatch(
          Array.from({ length: Math.min(1000, end - from) }, (_, j) =>
            orderEvent(from + j, BATCH_STREAMS),
          ),
        );
        for (const event of published) {
          if (BigInt(event.position) > highest) highest = BigInt(event.position);
        }
        if ((from - first) % 100_000 === 0)
          progress(`big log ${label}: published ${from - first}/${count}`);
      }
    }),
  );
  return highest.toString();
}

/** `history` older events, then `tail` events drained `rounds` times by fresh consumers. */
export async function measureBigLog(
  history: number,
  tail: number,
  rounds: number,
  concurrency: number,
): Promise<BigLogResult> {
  const backend = await openBench('postgres');
  try {
    const started = performance.now();
    const last = history > 0 ? await fill(backend.millrace, 0, history, `${history}`) : undefined;
    await fill(backend.millrace, history, tail, `${history}+tail`);
    const publishPerSecond = perSecond(history + tail, performance.now() - started);
    progress(`big log ${history + tail}: first consumer builds its partition index`);
    const first = backend.millrace.consumer({
      name: 'first',
      sequence: { category: 'order' },
      startFrom: 'end',
      handler: () => undefined,
    });
    const startedFirst = performance.now();
    await first.start();
    const firstStartMs = performance.now() - startedFirst;
    await first.stop();
    const results: number[] = [];
    for (let round = 0; round < rounds; round++) {
      progress(`big log ${history + tail}: consume round ${round + 1}/${rounds}`);
      results.push(
        await drain(backend.millrace, tail, {
          name: `tail-${round}`,
          concurrency,
          startFrom: last === undefined ? 'beginning' : { position: last },
        }),
      );
    }
    return { logEvents: history + tail, tail, rounds: results, publishPerSecond, firstStartMs };
  } finally {
    await backend.dispose();
  }
}
