/**
 * What a bridge process has heard, oldest first, within a bound on memory.
 * A message known to be in the log (the leader appended it, or a standby
 * saw it in the leader's checkpoint) is kept `keepMs`, so that a new leader
 * can tell where its predecessor stopped. A message not known to be in the
 * log leaves only once it is, or, when the bound is reached (the log cannot
 * take messages), as the full-buffer policy says, counted.
 */
import { createHash } from 'node:crypto';
import type { FullBufferPolicy } from './bridge-options.js';

export interface HeardMessage {
  /** This process's count of messages heard: consecutive, never reused. */
  readonly seq: number;
  readonly channel: string;
  readonly pattern: string | undefined;
  readonly bytes: Uint8Array;
  /** When this process heard it (ms since the epoch). */
  readonly receivedAt: number;
  /** Its identity as far as bytes can tell: see messageHash. */
  readonly hash: string;
}

/**
 * A message's identity from its channel and bytes: the same on every process
 * that heard it, whatever its payload claims. Two messages with the same
 * channel and bytes are told apart only by their neighbours and arrival
 * times (see resumePoint).
 */
export function messageHash(channel: string, bytes: Uint8Array): string {
  // The channel's length first: no channel and bytes can pass for another pair.
  return createHash('sha1')
    .update(`${channel.length}:${channel}`)
    .update(bytes)
    .digest('base64url')
    .slice(0, 16);
}

/** What a push or trim did beyond keeping the buffer in bounds. */
export interface TrimResult {
  /** Messages not yet appended that the `drop-oldest` policy let go. */
  readonly dropped: number;
  /** The bound is reached and the policy (`block`, `crash`) keeps what is there. */
  readonly full: boolean;
}

/** Room held per message beyond its bytes: the entry, its hash and channel. */
const OVERHEAD_BYTES = 96;

export class MessageBuffer {
  private entries: HeardMessage[] = [];
  private head = 0;
  private heldBytes = 0;
  private nextSeq = 0;
  /**
   * The first seq not known to be in the log: a leader moves it as its
   * batches land, a standby as it reads the leader's checkpoints.
   */
  private unappendedFrom = 0;
  private leading = false;

  constructor(
    private readonly options: {
      readonly bufferBytes: number;
      readonly keepMs: number;
      readonly whenFull: FullBufferPolicy;
    },
  ) {}

  get size(): number {
    return this.entries.length - this.head;
  }

  /** The seq of the last message heard (-1: none yet). */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  get bytes(): number {
    return this.heldBytes;
  }

  /** Messages not known to be in the log. */
  get unappended(): number {
    const first = this.entries[this.head];
    return first === undefined ? 0 : this.nextSeq - Math.max(this.unappendedFrom, first.seq);
  }

  push(channel: string, pattern: string | undefined, bytes: Uint8Array, now: number): TrimResult {
    const message: HeardMessage = {
      seq: this.nextSeq++,
      channel,
      pattern,
      bytes,
      receivedAt: now,
      hash: messageHash(channel, bytes),
    };
    this.entries.push(message);
    this.heldBytes += sizeOf(message);
    return this.trim(now);
  }

  /** Lets go of what may go: messages past `keepMs` and, beyond the bound, the oldest. */
  trim(now: number): TrimResult {
    let dropped = 0;
    for (;;) {
      const oldest = this.entries[this.head];
      if (oldest === undefined) break;
      const over = this.heldBytes > this.options.bufferBytes;
      const appended = oldest.seq < this.unappendedFrom;
      if (appended) {
        if (!over && now - oldest.receivedAt <= this.options.keepMs) break;
      } else {
        if (!over) break;
        if (this.options.whenFull !== 'drop-oldest') return { dropped, full: true };
        dropped += 1;
        this.unappendedFrom = oldest.seq + 1;
      }
      this.evictOldest();
    }
    this.compact();
    return { dropped, full: false };
  }

  /** Every message held from index `from` on (0: all), oldest first, to compare with the log. */
  held(from = 0): readonly HeardMessage[] {
    return this.entries.slice(this.head + from);
  }

  /** Index in held() of the first message not known to be in the log. */
  get firstUnappendedIndex(): number {
    const first = this.entries[this.head];
    return first === undefined ? 0 : Math.max(0, this.unappendedFrom - first.seq);
  }

  /** Becomes the leader: every message after `seq` is to be appended (-1: all held). */
  lead(afterSeq: number): void {
    this.leading = true;
    this.unappendedFrom = afterSeq + 1;
  }

  /** A standby again: it appends nothing, and keeps what it has not seen in the log. */
  follow(): void {
    this.leading = false;
  }

  /** Up to `max` of the messages not yet appended, oldest first. */
  nextBatch(max: number): HeardMessage[] {
    const from = this.unappendedFrom;
    const first = this.entries[this.head];
    if (!this.leading || first === undefined) return [];
    const start = this.head + Math.max(0, from - first.seq);
    return this.entries.slice(start, Math.min(start + max, this.entries.length));
  }

  /** The messages up to `seq` are in the log. */
  appendedThrough(seq: number): void {
    if (seq >= this.unappendedFrom) {
      this.unappendedFrom = seq + 1;
    }
  }

  private evictOldest(): void {
    const oldest = this.entries[this.head];
    if (oldest === undefined) return;
    this.heldBytes -= sizeOf(oldest);
    this.head += 1;
  }

  /** Drops evicted entries from the array once they are the larger part (amortised O(1)). */
  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}

function sizeOf(message: HeardMessage): number {
  return message.bytes.byteLength + message.channel.length + OVERHEAD_BYTES;
}
