/**
 * One term of a bridge's leadership: take over (hear everything sent so far,
 * read the predecessor's last checkpoint, fence it off with a checkpoint of
 * our own, resume after what it appended), then append what is heard, in
 * batches, each with its checkpoint. A batch that fails is sent again, the
 * same events, with backoff; a refusal (someone newer has written) ends the
 * term at once.
 */
import type { Leadership } from '../core/contracts/elector.js';
import { ValidationError } from '../core/errors.js';
import { prepareEvent, type EventInput } from '../core/event.js';
import type { ResolvedBridgeOptions } from './bridge-options.js';
import { bridgedEvent } from './bridged-message.js';
import {
  TAIL_LENGTH,
  type BridgeCounts,
  type Checkpoint,
  type CheckpointLog,
} from './checkpoint-log.js';
import type { HeardMessage, MessageBuffer } from './message-buffer.js';
import { resumePoint, type TailEntry } from './resume-point.js';

/** What a term tells the bridge as it goes. */
export interface TermEvents {
  tookOver(takeover: Takeover): void;
  appended(messages: readonly HeardMessage[]): void;
  /** Messages the log refused as events (too large): let go. */
  refused(messages: readonly HeardMessage[], error: ValidationError): void;
  /** The log refused or failed an append; it is tried again. */
  logFailed(error: unknown): void;
  /** A newer leader has written: this term is over. */
  deposed(): void;
  counts(): BridgeCounts;
}

export interface Takeover {
  readonly term: number;
  /** Messages held that the predecessor's last batch had appended. */
  readonly deduplicated: number;
  /** Messages held that it had not: appended first. */
  readonly resumed: number;
  /** The predecessor's last appended messages were found among those held (else: by time). */
  readonly aligned: boolean;
}

export interface TermContext {
  readonly options: ResolvedBridgeOptions;
  readonly buffer: MessageBuffer;
  readonly checkpoints: CheckpointLog;
  readonly leader: { readonly holder: string; readonly host: string; readonly pid: number };
  readonly events: TermEvents;
}

export class LeaderTerm {
  private stopped = false;
  private wakeUp: (() => void) | undefined;
  private version = -1;
  private batch = 0;
  private tail: TailEntry[] = [];
  private readonly since = Date.now();
  readonly done: Promise<void>;

  /** Begins once `after` (the last term's end) has settled. */
  constructor(
    private readonly context: TermContext,
    private readonly leadership: Leadership,
    after: Promise<void>,
  ) {
    this.done = after.then(() => this.run());
  }

  /** Something new to append. */
  wake(): void {
    this.wakeUp?.();
  }

  /** Ends the term: the batch in flight finishes (or fails) first. */
  stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    return this.done;
  }

  private async run(): Promise<void> {
    if (!(await this.takeOver())) return;
    while (!this.stopped) {
      const batch = this.context.buffer.nextBatch(this.context.options.maxBatch);
      if (batch.length === 0) {
        await new Promise<void>((resolve) => (this.wakeUp = resolve));
        this.wakeUp = undefined;
        continue;
      }
      if (!(await this.appendBatch(batch))) return;
    }
  }

  /** Fences the predecessor off and finds where to resume; false if the term ended first. */
  private async takeOver(): Promise<boolean> {
    const { buffer, checkpoints, options } = this.context;
    for (let attempt = 0; !this.stopped; attempt += 1) {
      try {
        // Everything sent before the predecessor's last append is heard by now.
        await options.source.sync();
        const latest = await checkpoints.latest();
        const previous = latest?.checkpoint;
        const held = buffer.held();
        const point = resumePoint(held, previous?.tail ?? []);
        // Protected from eviction from here on, whether or not the fence below holds.
        const resumeAfter =
          point.index >= 0
            ? (held[point.index] as HeardMessage).seq
            : (held[0]?.seq ?? buffer.lastSeq + 1) - 1;
        buffer.lead(resumeAfter);
        this.tail = [...(previous?.tail ?? [])];
        const fenced = await checkpoints.append(
          [],
          this.checkpoint('term', 0),
          latest?.version ?? -1,
        );
        if (!fenced) {
          // The predecessor wrote meanwhile: read again.
          await this.pause(attempt);
          continue;
        }
        this.version = (latest?.version ?? -1) + 1;
        this.context.events.tookOver({
          term: this.leadership.term,
          deduplicated: point.aligned ? Math.min(previous?.count ?? 0, point.index + 1) : 0,
          resumed: held.length - 1 - point.index,
          aligned: point.aligned,
        });
        return true;
      } catch (error) {
        this.context.events.logFailed(error);
        await this.pause(attempt);
      }
    }
    return false;
  }

  /** Appends one batch, trying again until it lands; false if deposed or stopped. */
  private async appendBatch(batch: readonly HeardMessage[]): Promise<boolean> {
    const { options, checkpoints, events } = this.context;
    let inputs: EventInput[] = batch.map((message) => bridgedEvent(message, options));
    let stored = batch;
    const tail = [...this.tail, ...batch.map((m) => ({ hash: m.hash, at: m.receivedAt }))].slice(
      -TAIL_LENGTH,
    );
    this.batch += 1;
    const checkpoint = this.checkpoint('batch', batch.length, tail);
    for (let attempt = 0; ; attempt += 1) {
      try {
        const landed = await checkpoints.append(inputs, checkpoint, this.version);
        if (!landed) {
          this.stopped = true;
          events.deposed();
          return false;
        }
        this.version += 1;
        this.tail = tail;
        this.context.buffer.appendedThrough((batch.at(-1) as HeardMessage).seq);
        events.appended(stored);
        return true;
      } catch (error) {
        if (error instanceof ValidationError) {
          // A message the log can never store (too large) would hold the batch forever: it goes, counted.
          const keep = inputs.map((input) => storable(input, checkpoints));
          if (keep.includes(false)) {
            events.refused(
              stored.filter((_, i) => !keep[i]),
              error,
            );
            inputs = inputs.filter((_, i) => keep[i]);
            stored = stored.filter((_, i) => keep[i]);
            continue;
          }
        }
        events.logFailed(error);
        if (this.stopped) return false;
        await this.pause(attempt);
      }
    }
  }

  private checkpoint(kind: Checkpoint['kind'], count: number, tail = this.tail): Checkpoint {
    const counts = this.context.events.counts();
    return {
      kind,
      term: this.leadership.term,
      leader: this.context.leader,
      since: this.since,
      batch: this.batch,
      count,
      tail,
      // As they will be once this batch lands: the status read from it is current.
      counts: { ...counts, appended: counts.appended + count },
    };
  }

  /** Backoff with jitter, cut short by stop(). */
  private pause(attempt: number): Promise<void> {
    const { first, max } = this.context.options.retryMs;
    const ms = Math.min(max, first * 2 ** Math.min(attempt, 20)) * (0.5 + Math.random() / 2);
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wakeUp = () => {
        if (!this.stopped) return;
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/** Whether the log would take `input` as an event (the same checks a publish makes). */
function storable(input: EventInput, checkpoints: CheckpointLog): boolean {
  try {
    prepareEvent(input, checkpoints.maxEventBytes);
    return true;
  } catch {
    return false;
  }
}
