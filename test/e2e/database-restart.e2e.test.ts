/**
 * Members ride out their database restarting, on a PostgreSQL cluster the
 * test starts for itself: two member processes of a one-partition consumer
 * (one works, one stands by, holding nothing) live through a crash and
 * recovery (`-m immediate`) and a clean restart (`-m fast`). Neither exits
 * nor crashes: each heartbeats again once the server is back (the standby
 * too, though nothing but its consumer keeps its process alive), events
 * published after each restart are handled, and when the working member is
 * then killed, the standby takes over.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Millrace, postgres } from '../../src/index.js';
import { PostgresCluster } from '../support/chaos/postgres-cluster.js';
import { countHandledEvents, createHistoryTable } from '../support/history.js';
import { readAssignments } from '../support/member-database.js';
import { MemberProcess, destroyAllMembers } from '../support/member-processes.js';
import { waitFor } from '../support/wait.js';

const SCHEMA = 'restarts';
const CONSUMER = 'standby';

let cluster: PostgresCluster;
let admin: pg.Pool;
let publisher: Millrace;

beforeAll(async () => {
  cluster = await PostgresCluster.start();
  admin = new pg.Pool({ connectionString: cluster.url, max: 2 });
  admin.on('error', () => undefined);
  publisher = await Millrace.open({
    provider: postgres({ connectionString: cluster.url, schema: SCHEMA, maxConnections: 2 }),
    deliverDelayed: false,
  });
  await createHistoryTable(admin, SCHEMA);
}, 60_000);

afterAll(async () => {
  await destroyAllMembers();
  await publisher?.close().catch(() => undefined);
  await admin?.end().catch(() => undefined);
  await cluster?.destroy();
});

let published = 0;
/** Publishes `count` events, trying again while the server is still coming back. */
async function publish(count: number): Promise<void> {
  const batch = Array.from({ length: count }, (_, i) => ({
    stream: `job-${(published + i) % 20}`,
    subject: 'job.queued',
    data: {},
  }));
  await waitFor(
    () =>
      publisher.publishBatch(batch).then(
        () => true,
        () => false,
      ),
    'the server to take a publish',
    30_000,
  );
  published += count;
}

/** The member's last heartbeat, by the database's clock, as epoch ms (0: not a member). */
async function heartbeatOf(member: MemberProcess): Promise<number> {
  const { rows } = await admin.query<{ at: number }>(
    `SELECT extract(epoch FROM heartbeat_at) * 1000 AS at FROM "${SCHEMA}".members WHERE member_id = $1`,
    [member.member],
  );
  return rows[0]?.at ?? 0;
}

describe('members across database restarts', () => {
  it('live through crash recovery and a clean restart, the standby too, and take over after', async () => {
    const members = [0, 1].map(
      () =>
        new MemberProcess({
          databaseUrl: cluster.url,
          schema: SCHEMA,
          consumer: CONSUMER,
          category: 'job',
          partitions: 1,
          sessionTimeoutMs: 4000,
        }),
    );
    await Promise.all(members.map((m) => m.ready()));
    await publish(50);
    await waitFor(async () => (await countHandledEvents(admin, SCHEMA)) >= 50, 'the first events');

    for (const mode of ['immediate', 'fast'] as const) {
      await cluster.restart(mode);
      const backAt = Date.now();
      // Both speak again once the server is back: alive, connected, members still.
      await waitFor(
        async () => (await Promise.all(members.map(heartbeatOf))).every((at) => at > backAt),
        `both members heartbeating after the restart (-m ${mode})`,
        30_000,
      );
      expect(members.map((m) => m.alive)).toEqual([true, true]);
      await publish(50);
      await waitFor(
        async () => (await countHandledEvents(admin, SCHEMA)) >= published,
        `the events published after the restart (-m ${mode})`,
        30_000,
      );
    }

    const [owner] = await readAssignments(admin, SCHEMA, CONSUMER);
    const working = members.find((m) => m.member === owner?.member) as MemberProcess;
    const standby = members.find((m) => m !== working) as MemberProcess;
    working.kill();
    await publish(50);
    await waitFor(
      async () => (await countHandledEvents(admin, SCHEMA)) >= published,
      'the standby to take over and handle the rest',
      30_000,
    );
    expect((await readAssignments(admin, SCHEMA, CONSUMER))[0]?.member).toBe(standby.member);
    expect(members.filter((m) => m.crashed).map((m) => m.tail())).toEqual([]);
  }, 180_000);
});
