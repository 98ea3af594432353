/**
 * A compacted, single-partition topic read into memory: a small keyed table
 * every process sees the same way. A write produces the new value (or a
 * tombstone) and then reads up to it, so a writer reads its own writes; a
 * read first catches up with whatever other processes wrote. The provider
 * keeps its registry and its delivery records (off the happy path only) in
 * such tables, so they stay small.
 */
import type { KafkaCluster } from './kafka-cluster.js';
import { PartitionFetcher } from './partition-fetcher.js';

const PAGE = 10_000;

export class KafkaTable<T> {
  private readonly rows = new Map<string, T>();
  private readonly fetcher: PartitionFetcher;
  private next = 0n;
  private catching: Promise<void> | undefined;
  private ready: Promise<void> | undefined;

  constructor(
    private readonly cluster: KafkaCluster,
    private readonly topic: string,
    private readonly decode: (json: unknown) => T,
  ) {
    this.fetcher = new PartitionFetcher(cluster, topic, 0);
  }

  /** Every row, as of now. */
  async snapshot(): Promise<ReadonlyMap<string, T>> {
    await this.catchUp();
    return this.rows;
  }

  async get(key: string): Promise<T | undefined> {
    await this.catchUp();
    return this.rows.get(key);
  }

  /** Writes rows (undefined deletes) in one produce call, then reads them back. */
  async write(entries: readonly (readonly [string, T | undefined])[]): Promise<void> {
    if (entries.length === 0) return;
    await this.open();
    const offsets = await this.cluster.producer.send(
      entries.map(([key, value]) => ({
        topic: this.topic,
        partition: 0,
        key: Buffer.from(key),
        value: value === undefined ? undefined : Buffer.from(JSON.stringify(value)),
      })),
    );
    const last = offsets[offsets.length - 1] ?? -1n;
    // A read already under way may have started before this write landed.
    while (this.next <= last) await this.catchUp();
  }

  /** Reads what was written since the last read, up to the high watermark. */
  catchUp(): Promise<void> {
    this.catching ??= this.readToEnd().finally(() => (this.catching = undefined));
    return this.catching;
  }

  private open(): Promise<void> {
    this.ready ??= this.cluster.ensureTopic(this.topic, { partitions: 1, compacted: true });
    this.ready.catch(() => (this.ready = undefined));
    return this.ready;
  }

  private async readToEnd(): Promise<void> {
    await this.open();
    for (;;) {
      const fetched = await this.fetcher.fetch(this.next, PAGE, 0);
      for (const { record } of fetched.records) {
        const key = record.key?.toString();
        if (key === undefined) continue;
        if (record.value === null || record.value.length === 0) this.rows.delete(key);
        else this.rows.set(key, this.decode(JSON.parse(record.value.toString())));
      }
      this.next = fetched.next;
      if (fetched.next >= fetched.highWatermark) return;
    }
  }

  async close(): Promise<void> {
    await this.fetcher.close();
  }
}
