/**
 * The events a partition worker has read and not yet retired, in position
 * order, and which of them may start now under the consumer's ordering:
 *
 * - `partition`: one at a time, in order; a retrying event holds back the
 *   whole partition.
 * - `stream`: one at a time per stream, in version order; different streams
 *   in parallel; a retrying event holds back only its own stream.
 * - `none`: any waiting event; a retrying event holds back nothing.
 *
 * The partition's committable position is the low watermark: the last event
 * of the finished prefix. It never passes an event that is not finished, so
 * after a crash the work past it is done again (at-least-once).
 */
import type { DeliveryRecord } from '../contracts/deliveries.js';
import type { Event } from '../event.js';
import type { Position } from '../position.js';

export type Ordering = 'stream' | 'partition' | 'none';

export const ORDERINGS: readonly Ordering[] = ['stream', 'partition', 'none'];

/**
 * waiting: may start when the ordering allows; running: a handler has it;
 * retrying: failed, waiting for its next attempt's time; finishing: its
 * outcome (dead letter, cancel) is being recorded; done: retired.
 */
export type EntryState = 'waiting' | 'running' | 'retrying' | 'finishing' | 'done';

export interface Entry {
  readonly event: Event;
  state: EntryState;
  /** Attempts made so far (carried over from a stored record). */
  attempts: number;
  /** A delivery record exists for it and must be removed once it succeeds. */
  recorded: boolean;
}

export function entryFor(event: Event, record?: DeliveryRecord): Entry {
  if (record === undefined) return { event, state: 'waiting', attempts: 0, recorded: false };
  const finished = record.state !== 'retryable';
  return {
    event,
    // A dead letter or a cancellation past the position was decided before a restart: not again.
    state: finished ? 'done' : 'waiting',
    attempts: record.attempts,
    recorded: true,
  };
}

export class DeliveryWindow {
  private entries: Entry[] = [];
  private head = 0;
  /** No unfinished entry before this index (`partition` ordering looks from here). */
  private open = 0;
  /** `stream` ordering: each stream's unfinished entries, in order. */
  private readonly streams = new Map<string, Entry[]>();
  /** `none` ordering: entries that may start, first come first served. */
  private readonly ready: Entry[] = [];

  constructor(readonly ordering: Ordering) {}

  /** Entries held, retired ones not yet popped included. */
  get size(): number {
    return this.entries.length - this.head;
  }

  add(entry: Entry): void {
    this.entries.push(entry);
    if (entry.state === 'done') return;
    if (this.ordering === 'stream') {
      const queue = this.streams.get(entry.event.stream);
      if (queue) queue.push(entry);
      else this.streams.set(entry.event.stream, [entry]);
    } else if (this.ordering === 'none' && entry.state === 'waiting') {
      this.ready.push(entry);
    }
  }

  /** Entries that may start now, in the order to start them; start each before asking for the next. */
  *startable(): Generator<Entry> {
    if (this.ordering === 'partition') {
      const first = this.firstUnfinished();
      if (first?.state === 'waiting') yield first;
      return;
    }
    if (this.ordering === 'stream') {
      for (const queue of this.streams.values()) {
        const first = queue[0];
        if (first?.state === 'waiting') yield first;
      }
      return;
    }
    while (this.ready.length > 0) {
      const entry = this.ready.shift() as Entry;
      if (entry.state === 'waiting') yield entry;
    }
  }

  /** An entry `startable` gave that could not start after all (no handler slot): first next time. */
  putBack(entry: Entry): void {
    if (this.ordering === 'none') this.ready.unshift(entry);
  }

  /** A retrying entry's time has come. */
  due(entry: Entry): void {
    if (entry.state !== 'retrying') return;
    entry.state = 'waiting';
    if (this.ordering === 'none') this.ready.push(entry);
  }

  /** The entry is retired: it no longer holds back anything. */
  retire(entry: Entry): void {
    entry.state = 'done';
    if (this.ordering !== 'stream') return;
    const queue = this.streams.get(entry.event.stream);
    if (queue === undefined) return;
    const index = queue.indexOf(entry);
    if (index >= 0) queue.splice(index, 1);
    if (queue.length === 0) this.streams.delete(entry.event.stream);
  }

  /** Drops the retired prefix: the new low watermark (undefined if it did not move) and how many. */
  popRetired(): { position: Position | undefined; count: number } {
    let position: Position | undefined;
    let count = 0;
    while (this.head < this.entries.length) {
      const entry = this.entries[this.head] as Entry;
      if (entry.state !== 'done') break;
      position = entry.event.position;
      this.head++;
      count++;
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.open = Math.max(0, this.open - this.head);
      this.head = 0;
    }
    return { position, count };
  }

  /** Every entry not yet retired (for stopping: what is still running or recording). */
  unfinished(): Entry[] {
    return this.entries.slice(this.head).filter((e) => e.state !== 'done');
  }

  private firstUnfinished(): Entry | undefined {
    for (let i = Math.max(this.head, this.open); i < this.entries.length; i++) {
      const entry = this.entries[i] as Entry;
      if (entry.state !== 'done') {
        this.open = i;
        return entry;
      }
    }
    this.open = this.entries.length;
    return undefined;
  }
}
