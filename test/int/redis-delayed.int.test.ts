/**
 * Redis's own part of delayed events, beyond the shared rules (the
 * delayed-events conformance scenario): a delivery spans the schedule's slot
 * and the log's, so it is done in steps, and a scheduler cut off between
 * them must leave nothing delivered twice or lost. Each test cuts a
 * delivery off by running its first steps by hand (the take script, then
 * perhaps the append) and lets the next delivery finish it. Also: the lex
 * bounds a cursor becomes, and an id published at once meanwhile.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Leadership } from '../../src/core/contracts/elector.js';
import { FencedError } from '../../src/core/errors.js';
import {
  prepareBatch,
  type Event,
  type PreparedEvent,
  type PublishInput,
} from '../../src/core/event.js';
import { RedisCategories } from '../../src/providers/redis/redis-categories.js';
import { RedisConnection } from '../../src/providers/redis/redis-connection.js';
import { RedisKeys } from '../../src/providers/redis/redis-keys.js';
import { RedisSession } from '../../src/providers/redis/redis-session.js';
import { RedisLeaseElector } from '../../src/providers/redis/redis-lease-elector.js';
import { RedisLog } from '../../src/providers/redis/redis-log.js';
import { resolveRedisOptions } from '../../src/providers/redis/redis-options.js';
import {
  RedisScheduledEvents,
  SCHEDULER_LEASE,
} from '../../src/providers/redis/redis-scheduled.js';
import { TEST_REDIS_URL, checkRedis, dropPrefix, uniquePrefix } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

const PARTITIONS = 4;

let prefix: string;
let connection: RedisConnection;
let keys: RedisKeys;
let log: RedisLog;
let store: RedisScheduledEvents;
let elector: RedisLeaseElector;
let leadership: Leadership;

beforeAll(() => checkRedis());
beforeEach(async () => {
  prefix = uniquePrefix('delay');
  connection = new RedisConnection(
    resolveRedisOptions({ url: TEST_REDIS_URL, prefix, partitions: PARTITIONS, blockMs: 0 }),
  );
  await connection.connect();
  keys = new RedisKeys(prefix);
  const categories = new RedisCategories(connection, keys);
  log = new RedisLog(connection, categories);
  store = new RedisScheduledEvents(connection, keys, categories, log);
  elector = new RedisLeaseElector(connection, keys, {
    holder: 'scheduler-1',
    host: 'test',
    pid: 1,
    ttlMs: 30_000,
    intervalMs: 10_000,
    lease: SCHEDULER_LEASE,
    announceResign: false,
    session: new RedisSession(connection.client),
  });
  await elector.start(() => undefined);
  const current = elector.current();
  if (current === undefined) throw new Error('the scheduler lease was not taken');
  leadership = current;
});
afterEach(async () => {
  await elector.stop();
  await store.close();
  await connection.close();
  await dropPrefix(prefix);
});

const prepared = (events: PublishInput[]) => prepareBatch(events, 1 << 20);

/** Events due in a moment, then once they are due (by the server's clock). */
async function scheduleDue(events: Omit<PublishInput, 'deliverAt'>[]): Promise<void> {
  const deliverAt = new Date(Date.now() + 30);
  await store.publish(prepared(events.map((e) => ({ ...e, deliverAt }) as PublishInput)));
  await waitFor(async () => ((await store.nextDueInMs()) ?? 1) <= 0, 'the events due');
}

/** A delivery's first step, by hand: the due events taken (claimed), as the scheduler would. */
async function take(limit = 100): Promise<string[]> {
  const reply = (await connection.run(
    'scheduled_take',
    [
      keys.lease(SCHEDULER_LEASE).lease,
      keys.scheduled,
      keys.scheduledEvents,
      keys.scheduledClaimed,
    ],
    [leadership.holder, leadership.term, limit],
  )) as string[];
  expect(reply[0]).toBe('due');
  return reply.slice(1).filter((_, i) => i % 2 === 0);
}

/** The waiting events as the log would append them. */
async function waiting(): Promise<PreparedEvent[]> {
  const listed = await store.list({ limit: 100 });
  return prepared(listed.map(({ id, stream, subject, data }) => ({ id, stream, subject, data })));
}

async function logged(): Promise<Event[]> {
  const pages = await Promise.all(
    Array.from({ length: PARTITIONS }, (_, index) =>
      log.read({
        sequence: { kind: 'category', category: 'order' },
        after: '0',
        limit: 1000,
        partition: { index, count: PARTITIONS },
      }),
    ),
  );
  return pages.flatMap((page) => page.events);
}

const three = [
  { stream: 'order-1', subject: 'order.reminded', data: 1 },
  { stream: 'order-1', subject: 'order.reminded', data: 2 },
  { stream: 'order-2', subject: 'order.reminded', data: 3 },
];

describe('delayed events on redis, a delivery cut off', () => {
  it('after its append: the next removes them, appending nothing twice', async () => {
    await scheduleDue(three);
    const members = await take();
    expect(members).toHaveLength(3);
    await log.appendDelivered(await waiting());
    // Taken: a cancel no longer succeeds, the events are leaving.
    const [first] = await store.list({ limit: 1 });
    expect(await store.cancel(first?.id ?? '')).toBe(false);
    expect(await store.count()).toBe(3);

    expect(await store.deliverDue(leadership, 100)).toBe(3);
    const events = await logged();
    expect(events.map((e) => [e.stream, e.data, e.version]).sort()).toEqual([
      ['order-1', 1, 0],
      ['order-1', 2, 1],
      ['order-2', 3, 0],
    ]);
    expect(await store.count()).toBe(0);
    expect(await store.nextDueInMs()).toBeUndefined();
  });

  it('after appending part of them (a deposed scheduler racing): the rest, once each', async () => {
    await scheduleDue(three);
    await take();
    const [one] = await waiting();
    await log.appendDelivered([one!]);
    expect(await store.deliverDue(leadership, 100)).toBe(3);
    const events = await logged();
    expect(events.map((e) => e.data).sort()).toEqual([1, 2, 3]);
    expect(await store.count()).toBe(0);
  });

  it('before its append: the next appends them, in delivery order', async () => {
    await scheduleDue([...three, { stream: 'order-1', subject: 'order.reminded', data: 4 }]);
    // The first three taken; the fourth, due with them but later in schedule order, is not.
    await take(3);
    expect(await store.deliverDue(leadership, 100)).toBe(3);
    expect(await store.deliverDue(leadership, 100)).toBe(1);
    const ones = (await logged()).filter((e) => e.stream === 'order-1');
    expect(ones.map((e) => [e.data, e.version])).toEqual([
      [1, 0],
      [2, 1],
      [4, 2],
    ]);
  });

  it('is finished by no one whose term is over', async () => {
    await scheduleDue(three);
    await take();
    for (const stale of [
      { holder: leadership.holder, term: leadership.term + 1 },
      { holder: 'impostor', term: leadership.term },
    ]) {
      const error = await store.deliverDue(stale, 100).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FencedError);
      expect(error).toMatchObject({ reason: 'deposed' });
    }
    expect(await logged()).toEqual([]);
    expect(await store.count()).toBe(3);
  });
});

describe('delayed events on redis', () => {
  it('drops one whose id was published at once meanwhile', async () => {
    const [delayed] = prepared([
      {
        stream: 'order-1',
        subject: 'order.reminded',
        data: 'later',
        deliverAt: new Date(Date.now() + 30),
      },
    ]);
    await store.publish([delayed!]);
    // Past the publish's check of the log: the race it accepts.
    await log.append(prepared([{ ...three[0]!, data: 'now', id: delayed!.id }]));
    await waitFor(async () => ((await store.nextDueInMs()) ?? 1) <= 0, 'the event due');
    expect(await store.deliverDue(leadership, 100)).toBe(1);
    expect((await logged()).map((e) => e.data)).toEqual(['now']);
    expect(await store.count()).toBe(0);
  });

  it('lists from a cursor between two milliseconds, or within one', async () => {
    const deliverAt = new Date(Date.now() + 3_600_000);
    await store.publish(prepared([1, 2].map((data) => ({ ...three[0]!, data, deliverAt }))));
    const us = BigInt(deliverAt.getTime()) * 1000n;
    const [first, second] = await store.list({ limit: 10 });
    expect(first?.cursor).toMatch(new RegExp(`^${us}:\\d+$`));
    const listedAfter = async (after: string) =>
      (await store.list({ limit: 10, after })).map((e) => e.data);
    expect(await listedAfter(`${us - 1n}:999`)).toEqual([1, 2]);
    expect(await listedAfter(`${us}:0`)).toEqual([1, 2]);
    expect(await listedAfter(first?.cursor ?? '')).toEqual([2]);
    expect(await listedAfter(second?.cursor ?? '')).toEqual([]);
    expect(await listedAfter(`${us + 1n}:0`)).toEqual([]);
    expect(await listedAfter('-5:0')).toEqual([1, 2]);
  });
});
