/**
 * One produce request in flight per producer, with the publishes that
 * arrive meanwhile sent together next. The idempotent producer of
 * @platformatic/kafka 1.x numbers a partition's records when a send starts
 * but moves the number on only when the broker answers, so two sends to
 * one partition in flight at once reuse sequence numbers: the broker then
 * drops one as a duplicate (while both are acknowledged) or refuses it.
 * Sending one request at a time avoids that, and combining what queued up
 * meanwhile keeps throughput (a group commit).
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

  constructor(private readonly producer: Producer) {}

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
          for (const waiting of batch) waiting.reject(error);
        }
      }
    } finally {
      this.sending = false;
    }
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
