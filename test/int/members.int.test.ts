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

async function member(name = 'work', partitions = 6, sessionTimeoutMs = 4000): Promise<Member> {
  const millrace = await open();
  const handled: Event[] = [];
  const consumer = millrace.consumer({
    name,
    sequence: { category: 'order' },
    partitions,
    sessionTimeoutMs,
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

describe('members watched through their database sessions', () => {
  beforeEach(() => {
    mode = 'session';
  });

  it("moves a member's partitions at once when its database session ends", async () => {
    const a = await member('work', 6, 30_000);
    const b = await member('work', 6, 30_000);
    await waitFor(() => balanced([a, b], 6), 'three each');
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    const { rows } = await admin.query<{ pid: number }>(
      `SELECT DISTINCT session_pid AS pid FROM "${schema}".members WHERE member_id = $1`,
      [a.consumer.member.id],
    );
    const started = Date.now();
    await admin.query('SELECT pg_terminate_backend($1)', [rows[0]?.pid]);
    await admin.end();
    // The session timeout is 30 s: only the ended session can explain a fast move.
    await waitFor(
      () => b.consumer.partitions.length === 6,
      'the other member to take over',
      10_000,
    );
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
