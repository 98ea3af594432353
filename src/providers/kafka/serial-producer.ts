/**
 * One produce request in flight per producer, with the publishes that
 * arrive meanwhile sent together next. The idempotent producer of
 * @platformatic/kafka 1.x numbers a partition's records when a send starts
 * but moves the number on only when the broker answers, so two sends to
 * one partition in flight at once reuse sequence numbers: the broker then
 * drops one as a duplicate (while both are acknowledged) or refuses it.
 * Sending one request at a time avoids that, and combining what queued up
 * meanwhile keeps throughput (a group commit).
 *
 * A send that fails may still have been written, in part (a broker died
 * after writing, before answering). The producer's numbering then lags the
 * broker's, and its next batch of the same size to that partition would be
 * taken for a duplicate: acknowledged and dropped. So a failed send retires
 * the producer; the next send uses a new one, whose new producer id starts
 * its numbering afresh.
 */
import type { MessageToProduce, Producer } from '@platformatic/kafka';
import { kafkaCall } from './kafka-errors.js';

/** A record with its partition chosen: its offset can be known from the broker's answer. */
export type PartitionedMessage = MessageToProduce & { readonly partition: number };

interface Waiting {
  readonly messages: readonly PartitionedMessage[];
  readonly resolve: (offsets: bigint[]) => void;
  readonly reject: (error: unknown) => void;
}

/** At most this many records in one request, so one huge queue does not make one huge request. */
const MAX_COMBINED = 10_000;

export class SerialProducer {
  private readonly queue: Waiting[] = [];
  private sending = false;
  private producer: Producer;
  private closed = false;

  constructor(private readonly create: () => Producer) {
    this.producer = create();
  }

  /** Produces the records; resolves with each one's offset, in order. */
  send(messages: readonly PartitionedMessage[]): Promise<bigint[]> {
    if (messages.length === 0) return Promise.resolve([]);
    return new Promise<bigint[]>((resolve, reject) => {
      this.queue.push({ messages, resolve, reject });
      if (!this.sending) void this.pump();
    });
  }

  private async pump(): Promise<void> {
    this.sending = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.take();
        const all = batch.flatMap((w) => w.messages);
        try {
          const result = await kafkaCall('publish', () => this.producer.send({ messages: all }));
          // Each partition's records got consecutive offsets from its base offset, in order.
          const next = new Map<string, bigint>();
          for (const { topic, partition, offset } of result.offsets ?? []) {
            next.set(`${topic}:${partition}`, offset);
          }
          const offsets = all.map((m) => {
            const key = `${m.topic}:${m.partition}`;
            const offset = next.get(key) ?? -1n;
            next.set(key, offset + 1n);
            return offset;
          });
          let at = 0;
          for (const waiting of batch) {
            waiting.resolve(offsets.slice(at, (at += waiting.messages.length)));
          }
        } catch (error) {
          this.retire();
          for (const waiting of batch) waiting.reject(error);
        }
      }
    } finally {
      this.sending = false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.producer.close();
  }

  /** Closes the producer (in the background) and puts a new one in its place. */
  private retire(): void {
    if (this.closed) return;
    const old = this.producer;
    this.producer = this.create();
    old.close().catch(() => undefined);
  }

  private take(): Waiting[] {
    const batch: Waiting[] = [];
    let count = 0;
    while (this.queue.length > 0) {
      const head = this.queue[0] as Waiting;
      if (batch.length > 0 && count + head.messages.length > MAX_COMBINED) break;
      batch.push(this.queue.shift() as Waiting);
      count += head.messages.length;
    }
    return batch;
  }
}
