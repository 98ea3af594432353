/**
 * Reading what a test published, to the end: one read request paged until
 * nothing more is readable, and a category read partition by partition
 * where the log has no one order (Kafka topics, Redis streams).
 */
import type { Event, Millrace } from '../../src/index.js';

/** Every event a read request reaches, page after page. */
export async function readAll(
  millrace: Millrace,
  request: Parameters<Millrace['read']>[0] = {},
): Promise<Event[]> {
  const events: Event[] = [];
  let after = '0';
  for (;;) {
    const page = await millrace.read({ ...request, after, limit: 1000 });
    events.push(...page.events);
    after = page.next;
    if (!page.hasMore) return events;
  }
}

/** Every event of a category of `count` partitions, partition after partition. */
export async function readPartitions(
  millrace: Millrace,
  category: string,
  count: number,
): Promise<Event[]> {
  const reads = Array.from({ length: count }, (_, index) =>
    readAll(millrace, { sequence: { category }, partition: { index, count } }),
  );
  return (await Promise.all(reads)).flat();
}
