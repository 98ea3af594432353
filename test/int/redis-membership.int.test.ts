/**
 * Members, allocation and leader election on a real Redis: the shared load
 * and apply suite, then what a member does (join, heartbeat, assignment,
 * release, leave), the members channel, and the lease elector with the
 * fencing of applyAllocation. Every test gets a key prefix of its own and
 * deletes its keys afterwards (the server is shared).
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Leadership } from '../../src/core/contracts/elector.js';
import {
  EVERY_CONSUMER,
  type AllocationState,
  type MemberTerms,
} from '../../src/core/contracts/membership-store.js';
import { planAllocation } from '../../src/core/kit/allocation/plan-allocation.js';
import { newStoredConsumer } from '../../src/core/kit/stored-consumers.js';
import { RedisConnection } from '../../src/providers/redis/redis-connection.js';
import { RedisKeys } from '../../src/providers/redis/redis-keys.js';
import {
  ALLOCATOR_LEASE,
  RedisLeaseElector,
  type RedisElectorOptions,
} from '../../src/providers/redis/redis-lease-elector.js';
import { RedisMembershipStore } from '../../src/providers/redis/redis-membership-store.js';
import { resolveRedisOptions } from '../../src/providers/redis/redis-options.js';
import { RedisSession } from '../../src/providers/redis/redis-session.js';
import { allocationApplySuite, CONSUMER_DEFINITION } from '../support/allocation-apply-suite.js';
import { checkRedis, dropPrefix, TEST_REDIS_URL, uniquePrefix } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

const CONSUMER = CONSUMER_DEFINITION.name;
const ALIVE: MemberTerms = { sessionTimeoutMs: 600_000, leaseMs: 600_000 };
const GONE: MemberTerms = { sessionTimeoutMs: 0, leaseMs: 0 };

interface Rig {
  readonly prefix: string;
  readonly keys: RedisKeys;
  readonly connection: RedisConnection;
  readonly store: RedisMembershipStore;
  elector(holder: string, options?: Partial<RedisElectorOptions>): RedisLeaseElector;
  /** Another connection to the same namespace, as another process has. */
  connect(): Promise<RedisConnection>;
  close(): Promise<void>;
}

/** A namespace of its own with consumer `work` registered (4 partitions), as the registry stores it. */
async function openRig(): Promise<Rig> {
  await checkRedis();
  const prefix = uniquePrefix();
  const keys = new RedisKeys(prefix);
  const connections: RedisConnection[] = [];
  const electors: RedisLeaseElector[] = [];
  const connect = async () => {
    const connection = new RedisConnection(resolveRedisOptions({ url: TEST_REDIS_URL, prefix }));
    await connection.connect();
    connections.push(connection);
    return connection;
  };
  const connection = await connect();
  const stored = newStoredConsumer(CONSUMER_DEFINITION, 4, new Date().toISOString());
  await connection.client.hset(keys.consumers, CONSUMER, JSON.stringify(stored));
  const store = new RedisMembershipStore(connection, keys);
  return {
    prefix,
    keys,
    connection,
    store,
    connect,
    elector(holder, options = {}) {
      const elector = new RedisLeaseElector(connection, keys, {
        holder,
        host: 'h',
        pid: 1,
        session: new RedisSession(connection.client),
        ttlMs: 600_000,
        intervalMs: 600_000,
        ...options,
      });
      electors.push(elector);
      return elector;
    },
    async close() {
      for (const elector of electors) await elector.stop();
      await store.close();
      await dropPrefix(prefix);
      for (const c of connections) await c.close();
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The rig of the test running (outside the shared suite, which opens its own). */
let rig: Rig;
const join = (id: string, terms = ALIVE) =>
  rig.store.join(CONSUMER, { id, host: `host-${id}`, pid: 7 }, 4, terms);
const load = async () => (await rig.store.loadAllocation(CONSUMER)) as AllocationState;
const owners = async () => (await rig.store.describe(CONSUMER)).owners.map((o) => o.member);
const leader = async () => {
  const elector = rig.elector('leader');
  await elector.start(() => undefined);
  return elector.current() as Leadership;
};
const rebalance = async (leadership: Leadership) => {
  const loaded = await load();
  return rig.store.applyAllocation(loaded, planAllocation(loaded), leadership);
};

allocationApplySuite('redis', async () => {
  const rig = await openRig();
  const elector = rig.elector('leader');
  await elector.start(() => undefined);
  return {
    store: rig.store,
    leadership: elector.current() as Leadership,
    close: () => rig.close(),
  };
});

describe('redis membership store', () => {
  beforeAll(() => checkRedis());
  afterEach(async () => {
    await rig.close();
  });

  it('joins only a registered consumer, and keeps when a member first joined', async () => {
    rig = await openRig();
    await expect(
      rig.store.join('nobody', { id: 'x', host: 'h', pid: 1 }, 4, ALIVE),
    ).rejects.toMatchObject({ code: 'not_found', reason: 'consumer_not_found' });
    await join('x');
    const [first] = (await rig.store.describe(CONSUMER)).members;
    expect(first).toMatchObject({ id: 'x', host: 'host-x', pid: 7, owned: [], revoking: [] });
    const joinedAt = first?.joinedAt.getTime() ?? 0;
    expect(first?.expiresAt.getTime()).toBe((first?.heartbeatAt.getTime() ?? 0) + 600_000);
    expect(Math.abs(joinedAt - Date.now())).toBeLessThan(5_000);
    await sleep(5);
    await join('x');
    const [again] = (await rig.store.describe(CONSUMER)).members;
    expect(again?.joinedAt.getTime()).toBe(joinedAt);
    expect(again?.heartbeatAt.getTime()).toBeGreaterThan(joinedAt);
  });

  it('heartbeats a member with the generation, and tells a gone one', async () => {
    rig = await openRig();
    await join('x');
    expect(await rig.store.heartbeat(CONSUMER, 'x', ALIVE)).toBe(0);
    await rebalance(await leader());
    expect(await rig.store.heartbeat(CONSUMER, 'x', ALIVE)).toBe(1);
    expect(await rig.store.heartbeat(CONSUMER, 'nobody', ALIVE)).toBeUndefined();
  });

  it('shows each member its partitions, and frees what it releases or leaves', async () => {
    rig = await openRig();
    const leadership = await leader();
    await join('x');
    expect(await rig.store.assignment(CONSUMER, 'x')).toEqual({
      generation: 0,
      owned: [],
      ownedSince: [],
      revoking: [],
    });
    await rebalance(leadership);
    expect(await rig.store.assignment(CONSUMER, 'x')).toEqual({
      generation: 1,
      owned: [0, 1, 2, 3],
      ownedSince: [1, 1, 1, 1],
      revoking: [],
    });
    await join('y');
    await rebalance(leadership);
    expect(await rig.store.assignment(CONSUMER, 'x')).toEqual({
      generation: 2,
      owned: [0, 1],
      ownedSince: [1, 1],
      revoking: [2, 3],
    });
    await rig.store.release(CONSUMER, 'x', [2, 3]);
    expect(await rig.store.assignment(CONSUMER, 'x')).toMatchObject({
      owned: [0, 1],
      revoking: [],
    });
    expect(await owners()).toEqual(['x', 'x', null, null]);
    await rebalance(leadership);
    expect(await rig.store.assignment(CONSUMER, 'y')).toEqual({
      generation: 3,
      owned: [2, 3],
      ownedSince: [3, 3],
      revoking: [],
    });
    // Releasing what it no longer owns changes nothing.
    await rig.store.release(CONSUMER, 'x', [2]);
    expect(await owners()).toEqual(['x', 'x', 'y', 'y']);
    await rig.store.leave(CONSUMER, 'x');
    expect(await owners()).toEqual([null, null, 'y', 'y']);
    const view = await rig.store.describe(CONSUMER);
    expect(view.members.map((m) => [m.id, m.owned])).toEqual([['y', [2, 3]]]);
    expect(view.leader).toMatchObject({ holder: 'leader', term: leadership.term });
  });

  it('lists the active consumers and those with a dead member', async () => {
    rig = await openRig();
    await rig.connection.client.hset(
      rig.keys.consumers,
      'idle',
      JSON.stringify(
        newStoredConsumer({ ...CONSUMER_DEFINITION, name: 'idle' }, 4, new Date().toISOString()),
      ),
    );
    expect(await rig.store.activeConsumers()).toEqual([]);
    expect(await rig.store.loadAllocation('nobody')).toBeUndefined();
    await join('x');
    expect(await rig.store.activeConsumers()).toEqual([CONSUMER]);
    expect(await rig.store.deadMembers()).toEqual([]);
    await rig.store.heartbeat(CONSUMER, 'x', GONE);
    expect(await rig.store.deadMembers()).toEqual([{ consumer: CONSUMER, dueInMs: 0 }]);
    const loaded = await load();
    expect(loaded.expired).toEqual(['x']);
    const result = await rig.store.applyAllocation(loaded, planAllocation(loaded), await leader());
    expect(result).toEqual({ generation: 1, expired: ['x'], changed: true });
    expect(await rig.store.deadMembers()).toEqual([]);
    expect(await rig.store.activeConsumers()).toEqual([]);
  });

  it('announces every change on the members channel, to every listener until it stops', async () => {
    rig = await openRig();
    const heard: string[] = [];
    const other: string[] = [];
    const stop = await rig.store.onChange((consumer) => heard.push(consumer));
    const stopOther = await rig.store.onChange((consumer) => other.push(consumer));
    await join('x');
    await waitFor(() => heard.length === 1 && other.length === 1, 'the join announced');
    await rebalance(await leader());
    await waitFor(() => heard.length === 2, 'the rebalance announced');
    await rig.store.release(CONSUMER, 'x', [0]);
    await rig.store.leave(CONSUMER, 'x');
    await waitFor(() => heard.length === 4, 'the release and the leave announced');
    expect(heard).toEqual([CONSUMER, CONSUMER, CONSUMER, CONSUMER]);
    await stop();
    await join('y');
    await waitFor(() => other.length === 5, 'the second join announced');
    expect(heard).toHaveLength(4);
    await stopOther();
  });

  it('tells every listener to look at every consumer after the subscription reconnects', async () => {
    rig = await openRig();
    const heard: string[] = [];
    await rig.store.onChange((consumer) => heard.push(consumer));
    const name = `millrace-members-${rig.prefix}`;
    const clients = (await rig.connection.client.client('LIST')) as string;
    const line = clients.split('\n').find((l) => l.includes(` name=${name} `));
    const id = /\bid=(\d+)/.exec(line ?? '')?.[1];
    expect(id).toBeDefined();
    await rig.connection.client.client('KILL', 'ID', id as string);
    await waitFor(() => heard.includes(EVERY_CONSUMER), 'everything announced after a reconnect');
    await join('x');
    await waitFor(() => heard.includes(CONSUMER), 'announcements heard again');
  });
});

describe('redis lease elector', () => {
  beforeAll(() => checkRedis());
  afterEach(async () => {
    await rig.close();
  });
  const quick = { ttlMs: 600, intervalMs: 25 };

  it('lets one of two candidates lead, and the other take over once it stops', async () => {
    rig = await openRig();
    const a = rig.elector('a', quick);
    const b = rig.elector('b', quick);
    const heard: (Leadership | undefined)[] = [];
    await a.start((leadership) => heard.push(leadership));
    await b.start(() => undefined);
    const first = a.current() as Leadership;
    expect(first).toMatchObject({ holder: 'a' });
    expect(b.current()).toBeUndefined();
    // Renewals keep it a's, well past the lease's ttl.
    await sleep(quick.ttlMs * 2);
    expect(a.current()).toEqual(first);
    expect(b.current()).toBeUndefined();
    await a.stop();
    expect(heard).toEqual([first, undefined]);
    await waitFor(() => b.current() !== undefined, 'b to take over');
    expect(b.current()).toEqual({ holder: 'b', term: first.term + 1 });
    expect((await rig.store.describe(CONSUMER)).leader).toMatchObject({ holder: 'b' });
  });

  it('tells the members channel on resigning, so a candidate can try at once', async () => {
    rig = await openRig();
    const a = rig.elector('a');
    const b = rig.elector('b');
    await a.start(() => undefined);
    await b.start(() => undefined);
    await rig.store.onChange((consumer) => {
      if (consumer === EVERY_CONSUMER) b.wake();
    });
    await a.stop();
    await waitFor(() => b.current() !== undefined, 'b woken to take over');
  });

  it('replaces a leader that stops renewing once its lease expires', async () => {
    rig = await openRig();
    const other = await rig.connect();
    // Renews only on rounds, and its next round comes long after its lease: frozen, as SIGSTOP
    // leaves a process, with its connection still open.
    const a = new RedisLeaseElector(other, rig.keys, {
      holder: 'a',
      host: 'h',
      pid: 1,
      session: new RedisSession(other.client),
      ttlMs: quick.ttlMs,
      intervalMs: 600_000,
    });
    const b = rig.elector('b', quick);
    await a.start(() => undefined);
    const startedAt = Date.now();
    await b.start(() => undefined);
    expect(a.current()).toBeDefined();
    expect(b.current()).toBeUndefined();
    await waitFor(() => b.current() !== undefined, 'b to take over', 5_000);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(quick.ttlMs / 2);
    await a.stop();
  });

  it('replaces a leader at once when its connection is gone, as a killed process leaves it', async () => {
    rig = await openRig();
    const other = await rig.connect();
    const slow = { ttlMs: 600_000, intervalMs: 25 };
    const a = new RedisLeaseElector(other, rig.keys, {
      holder: 'a',
      host: 'h',
      pid: 1,
      session: new RedisSession(other.client),
      ...slow,
    });
    const b = rig.elector('b', slow);
    await a.start(() => undefined);
    const first = a.current() as Leadership;
    await b.start(() => undefined);
    expect(b.current()).toBeUndefined();
    // Killed: the connection ends without a resignation; its lease would run for ten minutes.
    other.client.disconnect();
    await waitFor(() => b.current() !== undefined, 'b to take over the gone leader', 5_000);
    expect(b.current()).toEqual({ holder: 'b', term: first.term + 1 });
    // A leader whose connection is there keeps its place.
    const c = rig.elector('c', slow);
    await c.start(() => undefined);
    expect(c.current()).toBeUndefined();
    await a.stop();
  });

  it('refuses the allocation of a leader deposed by a later term', async () => {
    rig = await openRig();
    const a = rig.elector('a', quick);
    const b = rig.elector('b', quick);
    await a.start(() => undefined);
    await b.start(() => undefined);
    const old = a.current() as Leadership;
    await join('x');
    await rebalance(old);
    await a.stop();
    await waitFor(() => b.current() !== undefined, 'b to take over');
    const current = b.current() as Leadership;
    await join('y');
    const planned = await load();
    await expect(
      rig.store.applyAllocation(planned, planAllocation(planned), old),
    ).rejects.toMatchObject({ code: 'fenced', reason: 'deposed' });
    expect(
      await rig.store.applyAllocation(planned, planAllocation(planned), current),
    ).toMatchObject({ changed: true });
    // The script itself refuses a term older than one that wrote: the lease lives in another
    // slot, and a leader deposed after checking it must still be stopped.
    const { meta, members, owners: ownerKey } = rig.keys.consumer(CONSUMER);
    const generation = (await load()).generation;
    const reply = await rig.connection.run(
      'allocation_apply',
      [meta, members, ownerKey],
      [rig.keys.membersChannel, CONSUMER, old.term, generation, 4, 4, 0, 0, 0],
    );
    expect(reply).toEqual(['deposed', current.term]);
    expect((await load()).generation).toBe(generation);
  });

  it('refuses a current lease whose term is older than one recorded on the consumer', async () => {
    rig = await openRig();
    const leadership = await leader();
    await join('x');
    await rig.connection.client.hset(rig.keys.consumer(CONSUMER).meta, 'term', leadership.term + 1);
    await expect(rebalance(leadership)).rejects.toMatchObject({ code: 'fenced' });
    expect((await owners()).filter((o) => o !== null)).toEqual([]);
    expect(rig.keys.lease(ALLOCATOR_LEASE).lease).toBe(`{${rig.prefix}}:lease:allocator`);
  });
});
