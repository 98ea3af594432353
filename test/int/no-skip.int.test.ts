/**
 * No reader ever skips an event, even when publishers' transactions commit
 * out of order. Many publishers keep transactions open for random times
 * (some roll back, some lose races and retry) while readers and a consumer
 * read concurrently. Every committed event must be read exactly once, no
 * rolled-back event ever, in increasing positions, with each stream's
 * versions consecutive and in order.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import pg from 'pg';
import { comparePositions, isMillraceError, type Event, type Millrace } from '../../src/index.js';
import { TEST_DATABASE_URL } from '../support/database.js';
import { openBackend, type TestBackend } from '../support/providers.js';
import { waitFor } from '../support/wait.js';

const PUBLISHERS = 8;
/** Publishing goes on until this many events committed (some rolled back too), or the deadline. */
const TARGET_COMMITTED = 1_000;
const DEADLINE_MS = 40_000;
const STREAMS = 200;

let backend: TestBackend;
let millrace: Millrace;

beforeAll(async () => {
  backend = await openBackend('postgres');
  millrace = await backend.open();
});
afterAll(async () => {
  await backend.close();
});

interface Outcomes {
  committed: number;
  rolledBack: number;
  lost: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const random = (n: number) => Math.floor(Math.random() * n);

/** Publishes inside its own transactions, held open for a random time; returns committed ids. */
async function outboxPublisher(
  id: number,
  keepGoing: () => boolean,
  outcomes: Outcomes,
): Promise<Set<string>> {
  const committed = new Set<string>();
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  // Outbox transactions that publish several times can deadlock with each
  // other on stream locks (as any two transactions locking rows in different
  // orders); PostgreSQL breaks the tie, and the loser retries. Find it fast.
  await client.query("SET deadlock_timeout = '20ms'");
  try {
    let round = 0;
    while (keepGoing()) {
      round++;
      await client.query('BEGIN');
      const ids: string[] = [];
      try {
        // Some transactions get their id from another write before publishing.
        if (round % 3 === 0) await client.query('SELECT pg_current_xact_id()');
        for (let batch = 0; batch < 1 + random(3); batch++) {
          const published = await millrace.publishBatch(
            Array.from({ length: 1 + random(4) }, () => ({
              stream: `item-${random(STREAMS)}`,
              subject: 'item.changed',
              data: { publisher: id, round },
            })),
            { transaction: client },
          );
          ids.push(...published.map((p) => p.id));
          await sleep(random(15));
        }
        if (random(5) === 0) {
          await client.query('ROLLBACK');
          outcomes.rolledBack += ids.length;
        } else {
          await client.query('COMMIT');
          ids.forEach((eventId) => committed.add(eventId));
          outcomes.committed += ids.length;
        }
      } catch (error) {
        await client.query('ROLLBACK');
        if (!isMillraceError(error) || error.code !== 'conflict' || !error.retriable) throw error;
        outcomes.lost++;
      }
    }
  } finally {
    await client.end();
  }
  return committed;
}

/** Publishes batches in their own transactions, as most callers do. */
async function plainPublisher(keepGoing: () => boolean, outcomes: Outcomes): Promise<Set<string>> {
  const committed = new Set<string>();
  while (keepGoing()) {
    try {
      const published = await millrace.publishBatch(
        Array.from({ length: 1 + random(20) }, () => ({
          stream: `item-${random(STREAMS)}`,
          subject: 'item.changed',
          data: { plain: true },
        })),
      );
      published.forEach((p) => committed.add(p.id));
      outcomes.committed += published.length;
    } catch (error) {
      // The outbox publishers lock streams in no particular order, so a plain
      // publish can lose deadlocks to them until its own retries give up (on a
      // busy machine, after 15 s): the error says to try again, and it does.
      if (!isMillraceError(error) || error.code !== 'conflict' || !error.retriable) throw error;
      outcomes.lost++;
    }
    await sleep(random(5));
  }
  return committed;
}

/** Reads the whole log in small pages until told to stop and caught up. */
async function reader(stop: { done: boolean }): Promise<Event[]> {
  const events: Event[] = [];
  let after = '0';
  for (;;) {
    const finishing = stop.done;
    const page = await millrace.read({ after, limit: 1 + random(25) });
    events.push(...page.events);
    after = page.next;
    if (finishing && !page.hasMore && !page.pending) return events;
    if (!page.hasMore) await sleep(random(3));
  }
}

function checkRead(events: Event[], committed: Set<string>, what: string): void {
  const ids = events.map((e) => e.id);
  expect(new Set(ids).size, `${what}: duplicates`).toBe(ids.length);
  const missing = [...committed].filter((id) => !ids.includes(id));
  const extra = ids.filter((id) => !committed.has(id));
  expect(missing, `${what}: committed events never read`).toEqual([]);
  expect(extra, `${what}: events read that were never committed`).toEqual([]);
  for (let i = 1; i < events.length; i++) {
    expect(
      comparePositions((events[i - 1] as Event).position, (events[i] as Event).position),
      what,
    ).toBe(-1);
  }
  const versions = new Map<string, number>();
  for (const event of events) {
    expect(event.version, `${what}: ${event.stream} version order`).toBe(
      (versions.get(event.stream) ?? -1) + 1,
    );
    versions.set(event.stream, event.version);
  }
}

it('never lets a reader skip an event when transactions commit out of order', async () => {
  const deadline = Date.now() + DEADLINE_MS;
  const stop = { done: false };
  const outcomes: Outcomes = { committed: 0, rolledBack: 0, lost: 0 };
  const keepGoing = () =>
    Date.now() < deadline && (outcomes.committed < TARGET_COMMITTED || outcomes.rolledBack === 0);
  const handled: Event[] = [];
  const consumer = millrace.consumer({
    name: 'no-skip-check',
    sequence: { category: 'item' },
    partitions: 4,
    batchSize: 10,
    handler: (event) => {
      handled.push(event);
    },
  });
  await consumer.start();
  const readers = Array.from({ length: 3 }, () => reader(stop));
  const publishers = [
    ...Array.from({ length: PUBLISHERS }, (_, id) => outboxPublisher(id, keepGoing, outcomes)),
    plainPublisher(keepGoing, outcomes),
    plainPublisher(keepGoing, outcomes),
  ];
  const committed = new Set<string>();
  try {
    for (const ids of await Promise.all(publishers)) ids.forEach((id) => committed.add(id));
  } finally {
    // Readers finish even when a publisher failed, so nothing reads a closed instance.
    stop.done = true;
    await Promise.allSettled(readers);
  }
  const reads = await Promise.all(readers);
  await waitFor(() => handled.length >= committed.size, 'the consumer to catch up', 20_000);
  await consumer.stop();

  expect(committed.size).toBeGreaterThanOrEqual(TARGET_COMMITTED);
  expect(outcomes.rolledBack).toBeGreaterThan(0);
  reads.forEach((events, index) => checkRead(events, committed, `reader ${index}`));
  // The consumer's partitions run in parallel: order holds within each stream.
  expect(handled.length).toBe(committed.size);
  const byStream = new Map<string, Event[]>();
  for (const event of handled)
    byStream.set(event.stream, [...(byStream.get(event.stream) ?? []), event]);
  for (const [stream, events] of byStream) {
    expect(
      events.map((e) => e.version),
      stream,
    ).toEqual(events.map((_, i) => i));
  }
  expect(new Set(handled.map((e) => e.id))).toEqual(committed);
}, 90_000);
