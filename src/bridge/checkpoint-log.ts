/**
 * The bridge's fence and memory, in the log it writes to: one stream,
 * `millrace_bridge-<name>`, gets one checkpoint with every batch, in the
 * same atomic append, with the stream's expected version. A new leader
 * first appends a checkpoint that starts its term; from then on a deposed
 * leader's batch names a version that has passed and is refused whole. A
 * checkpoint also says what was appended last (its tail), which is where a
 * new leader resumes (see resume-point.ts), and the leader's counts, which
 * are the bridge's status for anyone who reads it.
 */
import type { ReadPage, PartitionSlice } from '../core/contracts/log.js';
import { ConflictError, isMillraceError } from '../core/errors.js';
import type { Event, EventInput } from '../core/event.js';
import type { JsonObject } from '../core/json.js';
import { streamHash } from '../core/kit/stream-hash.js';
import { BEGINNING, type Position } from '../core/position.js';
import type { Millrace } from '../millrace.js';
import type { TailEntry } from './resume-point.js';

/** The category of every bridge's checkpoint stream. */
export const CHECKPOINT_CATEGORY = 'millrace_bridge';

export interface BridgeCounts {
  /** Messages this leader process heard. */
  readonly received: number;
  /** Messages it appended. */
  readonly appended: number;
  /** Messages it held at a takeover that its predecessor's last batch had appended. */
  readonly deduplicated: number;
  /** Messages it let go unappended: the buffer was full (`drop-oldest`), or the log cannot store them (too large). */
  readonly dropped: number;
}

export interface Checkpoint {
  /** `term`: a leader took over; `batch`: a batch landed with it. */
  readonly kind: 'term' | 'batch';
  readonly term: number;
  readonly leader: { readonly holder: string; readonly host: string; readonly pid: number };
  /** When the term began (ms since the epoch). */
  readonly since: number;
  /** The batch's number within the term (0 for the term's start). */
  readonly batch: number;
  /** Messages in the batch. */
  readonly count: number;
  /** The last messages in the log, oldest first. */
  readonly tail: readonly TailEntry[];
  readonly counts: BridgeCounts;
}

export interface StoredCheckpoint {
  readonly checkpoint: Checkpoint;
  /** Its version in the checkpoint stream: the next append expects it. */
  readonly version: number;
  /** When it was written. */
  readonly time: Date;
}

/** The last tail entries a checkpoint keeps. */
export const TAIL_LENGTH = 16;

export function checkpointStream(name: string): string {
  return `${CHECKPOINT_CATEGORY}-${name}`;
}

function encode(checkpoint: Checkpoint): JsonObject {
  return {
    ...checkpoint,
    leader: { ...checkpoint.leader },
    tail: checkpoint.tail.map((t) => [t.hash, t.at]),
    counts: { ...checkpoint.counts },
  };
}

function decode(event: Event): Checkpoint {
  const data = event.data as unknown as Omit<Checkpoint, 'tail'> & { tail: [string, number][] };
  return { ...data, tail: data.tail.map(([hash, at]) => ({ hash, at })) };
}

export class CheckpointLog {
  readonly stream: string;
  private after: Position = BEGINNING;
  private last: StoredCheckpoint | undefined;
  /** Where the stream lives when the log is read by category partition (Redis). */
  private slice: PartitionSlice | undefined;

  constructor(
    private readonly millrace: Millrace,
    name: string,
  ) {
    this.stream = checkpointStream(name);
  }

  /** The largest event the log takes. */
  get maxEventBytes(): number {
    return this.millrace.maxEventBytes;
  }

  /** The newest checkpoint, reading on from where the last call stopped. */
  async latest(): Promise<StoredCheckpoint | undefined> {
    for (;;) {
      const page = await this.page(this.after);
      for (const event of page.events) {
        if (event.stream !== this.stream) continue;
        this.last = { checkpoint: decode(event), version: event.version, time: event.time };
      }
      this.after = page.next;
      if (!page.hasMore) return this.last;
    }
  }

  /**
   * Appends `events` with `checkpoint`, atomically, if the stream is still at
   * `version`: true if they landed, false if someone else has written since
   * (the caller is deposed). An append whose outcome is unknown (a cut
   * connection) throws; the caller sends the same events again, and a
   * refusal then is told apart from its own landing by the checkpoint.
   */
  async append(
    events: readonly EventInput[],
    checkpoint: Checkpoint,
    version: number,
  ): Promise<boolean> {
    try {
      await this.millrace.publishBatch([
        ...events,
        {
          stream: this.stream,
          subject: checkpoint.kind === 'term' ? 'bridge.term' : 'bridge.batch',
          data: encode(checkpoint),
          expectedVersion: version,
        },
      ]);
      return true;
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      const latest = await this.latest();
      const mine =
        latest !== undefined &&
        latest.checkpoint.term === checkpoint.term &&
        latest.checkpoint.batch === checkpoint.batch &&
        latest.checkpoint.leader.holder === checkpoint.leader.holder;
      return mine;
    }
  }

  private async page(after: Position): Promise<ReadPage> {
    if (this.millrace.capabilities.sequences.includes('stream')) {
      return this.millrace.read({ sequence: { stream: this.stream }, after, limit: 1000 });
    }
    const sequence = { category: CHECKPOINT_CATEGORY };
    try {
      return await this.millrace.read({ sequence, after, limit: 1000, partition: this.slice });
    } catch (error) {
      // A log read by partition says how many the category has: the stream is in one of them.
      const partitions = isMillraceError(error) ? error.details?.partitions : undefined;
      if (this.slice !== undefined || typeof partitions !== 'number') throw error;
      this.slice = { index: streamHash(this.stream) % partitions, count: partitions };
      return this.millrace.read({ sequence, after, limit: 1000, partition: this.slice });
    }
  }
}
