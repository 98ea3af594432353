/**
 * Does consuming cost more once the log is long? The same tail of events is
 * drained from a log that holds only that tail and from one where 10 million
 * older events of the same category come before it (the consumer starts at
 * the log's end before the tail, as a consumer that has kept up would be).
 * Reads are index ranges, so the rate should not move with history; what
 * does is the one-time build of the index a new partition count needs,
 * timed apart as the first consumer's start.
 */
import { openBench } from '../backends.js';
import { drain, publishBatches } from '../scenarios.js';
import { progress } from '../stats.js';

export interface BigLogResult {
  readonly logEvents: number;
  /** The newest events, drained each round. */
  readonly tail: number;
  /** Consume rate of each round, events/s. */
  readonly rounds: readonly number[];
  /**
   * The first consumer with 8 partitions of a category builds the index its
   * reads use (partition-index.ts), over the whole log, once: this start, ms.
   */
  readonly firstStartMs: number;
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
    const { millrace } = backend;
    if (history > 0) await publishBatches(millrace, history, 1000, 4);
    const tailStartsAfter = await millrace.end();
    await publishBatches(millrace, tail, 1000, 4);
    progress(`big log ${history + tail}: first consumer builds its partition index`);
    const first = millrace.consumer({
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
        await drain(millrace, tail, {
          name: `tail-${round}`,
          concurrency,
          startFrom: { position: tailStartsAfter },
        }),
      );
    }
    return { logEvents: history + tail, tail, rounds: results, firstStartMs };
  } finally {
    await backend.dispose();
  }
}
