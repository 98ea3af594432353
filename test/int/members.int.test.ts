/**
 * Competing members in one test process: each Millrace instance is its own
 * provider (its own pool, session, elector), as a separate process would be.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import pg from 'pg';
import { PGlite } from '@electric-sql/pglite';
import {
  FencedError,
  Millrace,
  pglite,
  postgres,
  type Consumer,
  type Event,
} from '../../src/index.js';
import type {
  Coordination,
  PostgresProvider,
} from '../../src/providers/postgres/postgres-provider.js';
import { TEST_DATABASE_URL, dropSchema, uniqueSchema } from '../support/database.js';
import { recordingLogger, waitFor } from '../support/wait.js';

let schema: string;
const opened: Millrace[] = [];
/** `pglite`: every instance on one embedded database, as the members of one process would be. */
type Mode = Coordination | 'pglite';
let mode: Mode = 'session';
let embedded: PGlite | undefined;

beforeEach(() => {
  schema = uniqueSchema('mb');
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((m) => m.close().catch(() => undefined)));
  await embedded?.close();
  embedded = undefined;
  await dropSchema(schema);
});

async function open(): Promise<Millrace> {
  if (mode === 'pglite') embedded ??= await PGlite.create();
  const millrace = await Millrace.open({
    provider:
      mode === 'pglite'
        ? pglite({ db: embedded, schema, leaderTimeoutMs: 2000 })
        : postgres({
            connectionString: TEST_DATABASE_URL,
            schema,
            maxConnections: 4,
            coordination: mode,
            leaderTimeoutMs: 2000,
          }),
    logger: recordingLogger(),
  });
  opened.push(millrace);
  return millrace;
}

interface Member {
  readonly millrace: Millrace;
  readonly consumer: Consumer;
  readonly handled: Event[];
}

async function member(
  name = 'work',
  partitions = 6,
  sessionTimeoutMs = 4000,
  heartbeatIntervalMs?: number,
): Promise<Member> {
  const millrace = await open();
  const handled: Event[] = [];
  const consumer = millrace.consumer({
    name,
    sequence: { category: 'order' },
    partitions,
    sessionTimeoutMs,
    heartbeatIntervalMs,
    handler: (event) => {
      handled.push(event);
    },
  });
  await consumer.start();
  return { millrace, consumer, handled };
}

const sizes = (members: Member[]) => members.map((m) => m.consumer.partitions.length);
const balanced = (members: Member[], partitions: number) => {
  const counts = sizes(members);
  const all = members.flatMap((m) => m.consumer.partitions).sort((a, b) => a - b);
  return (
    Math.max(...counts) - Math.min(...counts) <= 1 &&
    all.length === partitions &&
    all.every((p, i) => p === i)
  );
};

describe.each(['session', 'lease', 'pglite'] as const)('competing members, %s', (each) => {
  beforeEach(() => {
    mode = each;
  });

  it('splits the partitions evenly, and keeps hot standbys beyond the partition count', async () => {
    const members = [await member('work', 5), await member('work', 5), await member('work', 5)];
    await waitFor(() => balanced(members, 5), 'a balanced allocation of 5 over 3');
    expect(sizes(members).sort()).toEqual([1, 2, 2]);
    const more = [...members];
    for (let i = 0; i < 4; i++) more.push(await member('work', 5));
    await waitFor(() => balanced(more, 5), 'a balanced allocation of 5 over 7');
    expect(sizes(more).filter((n) => n === 0)).toHaveLength(2);
  });

  it('rebalances stickily on join and leave, handling every event on the way', async () => {
    const first = await member();
    await waitFor(
      () => first.consumer.partitions.length === 6,
      'the first member to own everything',
    );
    const publisher = await open();
    const publish = (from: number, count: number) =>
      publisher.publishBatch(
        Array.from({ length: count }, (_, i) => ({
          stream: `order-${(from + i) % 30}`,
          subject: 'order.placed',
          data: { n: from + i },
        })),
      );
    await publish(0, 100);
    const second = await member();
    await waitFor(() => balanced([first, second], 6), 'three partitions each');
    const kept = first.consumer.partitions;
    await publish(100, 100);
    const third = await member();
    await waitFor(() => balanced([first, second, third], 6), 'two partitions each');
    // Sticky: the first member kept two of the partitions it had.
    expect(first.consumer.partitions.every((p) => kept.includes(p))).toBe(true);
    await publish(200, 100);
    await second.consumer.stop();
    await waitFor(() => balanced([first, third], 6), 'three each again after the leave');
    await publish(300, 100);
    const all = () => [...first.handled, ...second.handled, ...third.handled];
    await waitFor(() => new Set(all().map((e) => e.id)).size === 400, 'all 400 events');
    // A partition moves only after its owner committed and released it: no event twice.
    expect(all()).toHaveLength(400);
  });

  it('hands over at once when a member stops gracefully', async () => {
    const a = await member();
    const b = await member();
    await waitFor(() => balanced([a, b], 6), 'three each');
    const started = Date.now();
    await a.consumer.stop();
    await waitFor(() => b.consumer.partitions.length === 6, 'the survivor to own everything');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('replaces a member that stops heartbeating, within the session timeout', async () => {
    const a = await member('work', 6, 2000);
    const b = await member('work', 6, 2000);
    await waitFor(() => balanced([a, b], 6), 'three each');
    // Heartbeats stop, the member does not leave: as a process frozen or cut off.
    (a.consumer as unknown as { session: { close(): void } }).session.close();
    const started = Date.now();
    await waitFor(
      () => b.consumer.partitions.length === 6,
      'the other member to take over',
      10_000,
    );
    expect(Date.now() - started).toBeLessThan(2000 + 1000);
  });

  it("refuses a stale member's commits with a typed error (fencing)", async () => {
    const a = await member();
    await waitFor(() => a.consumer.partitions.length === 6, 'a owns everything');
    const provider = a.millrace.provider as PostgresProvider;
    const b = await member();
    await waitFor(() => balanced([a, b], 6), 'three each');
    const moved = b.consumer.partitions[0] as number;
    const attempt = provider.positions.commit('work', a.consumer.member.id, [
      { partition: moved, position: '999', generation: 1_000_000 },
    ]);
    await expect(attempt).rejects.toBeInstanceOf(FencedError);
    await expect(attempt).rejects.toMatchObject({
      code: 'fenced',
      details: { partitions: [moved] },
    });
    const own = a.consumer.partitions[0] as number;
    await expect(
      provider.positions.commit('work', a.consumer.member.id, [
        { partition: own, position: '1', generation: 0 },
      ]),
    ).rejects.toBeInstanceOf(FencedError);
  });

  it('elects one leader, and another when it goes', async () => {
    const a = await member();
    const b = await member();
    const leaders = () =>
      [a, b].filter(
        (m) => (m.millrace.provider as PostgresProvider).membership.leadership() !== undefined,
      );
    await waitFor(() => leaders().length === 1, 'one leader');
    const leader = leaders()[0] as Member;
    const other = leader === a ? b : a;
    await leader.millrace.close();
    await waitFor(
      () => (other.millrace.provider as PostgresProvider).membership.leadership() !== undefined,
      'the other to lead',
      3000,
    );
    await waitFor(() => other.consumer.partitions.length === 6, 'the survivor to own everything');
  });
});

/**
 * A pool for one member that a test can cut off from the database: its
 * backends are ended and, until allowed again, every reconnect is refused,
 * as for a process behind a broken network.
 */
function cuttablePool(applicationName: string) {
  let refusing = false;
  class Client extends pg.Client {}
  const { connect } = pg.Client.prototype as unknown as {
    connect: (this: pg.Client, ...args: unknown[]) => unknown;
  };
  // The pool calls connect(callback); a refused one fails like an unreachable server.
  (Client.prototype as unknown as { connect: typeof connect }).connect = function (...args) {
    if (!refusing) return connect.apply(this, args);
    const error = new Error('cut off from the database (by the test)');
    const callback = args[0];
    if (typeof callback !== 'function') return Promise.reject(error);
    process.nextTick(() => (callback as (error: Error) => void)(error));
    return undefined;
  };
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set('application_name', applicationName);
  const pool = new pg.Pool({ connectionString: url.toString(), max: 4, Client });
  pool.on('error', () => undefined);
  return {
    pool,
    /** Ends every backend of the pool and refuses new connections. */
    async cut(admin: pg.Client): Promise<void> {
      refusing = true;
      await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
        [applicationName],
      );
    },
    allow(): void {
      refusing = false;
    },
  };
}

describe('members watched through their database sessions', () => {
  beforeEach(() => {
    mode = 'session';
  });

  it('keeps the partitions of a member whose session ended when it speaks again within its lease', async () => {
    // A heartbeat a second: a lease of three, ample to reconnect in on a busy machine.
    const a = await member('work', 6, 30_000, 1000);
    const b = await member('work', 6, 30_000, 1000);
    await waitFor(() => balanced([a, b], 6), 'three each');
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    const sessionOf = async () =>
      (
        await admin.query<{ pid: number; generation: string }>(
          `SELECT m.session_pid AS pid, c.generation FROM "${schema}".members m
           JOIN "${schema}".consumers c ON c.name = m.consumer WHERE m.member_id = $1`,
          [a.consumer.member.id],
        )
      ).rows[0];
    const before = await sessionOf();
    const owned = a.consumer.partitions;
    await admin.query('SELECT pg_terminate_backend($1)', [before?.pid]);
    // Its next heartbeat comes from a new session, within its lease.
    await waitFor(async () => (await sessionOf())?.pid !== before?.pid, 'a new session');
    const after = await sessionOf();
    await admin.end();
    expect(after?.generation).toBe(before?.generation);
    expect(a.consumer.partitions).toEqual(owned);
  });

  it('moves the partitions of a member cut off from the database when its lease ends, with no handling overlapping', async () => {
    const cuttable = cuttablePool(`millrace-cut-${process.pid}`);
    const handlings: { member: 'a' | 'b'; partition: number; at: number }[] = [];
    const tracked = async (who: 'a' | 'b', millrace: Millrace) => {
      const consumer = millrace.consumer({
        name: 'work',
        sequence: { category: 'order' },
        partitions: 6,
        sessionTimeoutMs: 30_000,
        // One slow handler at a time: a backlog waits in the member, ready to start.
        concurrency: 1,
        handler: async (_event, context) => {
          handlings.push({ member: who, partition: context.partition, at: Date.now() });
          await new Promise((resolve) => setTimeout(resolve, 2));
        },
      });
      await consumer.start();
      return consumer;
    };
    const logger = recordingLogger();
    const cutOff = await Millrace.open({
      provider: postgres({ pool: cuttable.pool, schema, leaderTimeoutMs: 2000 }),
      logger,
    });
    opened.push(cutOff);
    const a = await tracked('a', cutOff);
    const b = await tracked('b', await open());
    await waitFor(() => a.partitions.length === 3 && b.partitions.length === 3, 'three each');
    const publisher = await open();
    let n = 0;
    // A backlog a works through for seconds (one 2 ms handler at a time), then a trickle.
    await publisher.publishBatch(
      Array.from({ length: 3000 }, () => ({
        stream: `order-${n++ % 60}`,
        subject: 'order.placed',
        data: {},
      })),
    );
    const trickle = setInterval(() => {
      void publisher
        .publishBatch(
          Array.from({ length: 12 }, () => ({
            stream: `order-${n++ % 60}`,
            subject: 'order.placed',
            data: {},
          })),
        )
        .catch(() => undefined);
    }, 10);
    try {
      await waitFor(() => handlings.filter((h) => h.member === 'a').length >= 20, 'a at work');
      const lost = a.partitions;
      const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await admin.connect();
      const cutAt = Date.now();
      await cuttable.cut(admin);
      await admin.end();
      // The session timeout is 30 s: only the ended session and the lease explain a fast move.
      await waitFor(() => b.partitions.length === 6, 'the other member to take over', 10_000);
      expect(Date.now() - cutAt).toBeLessThan(3000);
      await waitFor(
        () => lost.every((p) => handlings.some((h) => h.member === 'b' && h.partition === p)),
        "b handling each of a's partitions",
      );
      for (const partition of lost) {
        const lastByA = Math.max(
          ...handlings
            .filter((h) => h.member === 'a' && h.partition === partition)
            .map((h) => h.at),
        );
        const firstByB = Math.min(
          ...handlings
            .filter((h) => h.member === 'b' && h.partition === partition)
            .map((h) => h.at),
        );
        expect(lastByA, `partition ${partition}`).toBeLessThan(firstByB);
      }
      // Its membership's warnings went to the logger it was opened with.
      expect(logger.lines.map((l) => l.message)).toContain('heartbeat failed');
      // Let back in, it finds itself dropped and joins again as a newcomer.
      cuttable.allow();
      // A bound, not a speed target: its pool reconnects, it finds itself dropped
      // and joins again, and b hands three partitions over after draining them
      // while the trickle goes on; a CI run beside the Kafka tier took over 10 s.
      await waitFor(
        () => a.partitions.length === 3 && b.partitions.length === 3,
        'three each again',
        30_000,
      );
      expect(logger.lines.map((l) => l.message)).toContain('membership lapsed; joining again');
    } finally {
      clearInterval(trickle);
      cuttable.allow();
    }
  });
});
