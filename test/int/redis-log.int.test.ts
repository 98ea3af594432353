/**
 * The Redis Streams provider's log, registry and positions against the real
 * Redis: partitions, versions, expected versions, duplicate and retried
 * publishes, reads after a position (and the long poll), per-partition
 * start positions, and fenced commits.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, FencedError } from '../../src/core/errors.js';
import { prepareBatch, type EventInput } from '../../src/core/event.js';
import { streamHash } from '../../src/core/kit/stream-hash.js';
import { RedisCategories } from '../../src/providers/redis/redis-categories.js';
import { RedisConnection } from '../../src/providers/redis/redis-connection.js';
import { RedisKeys } from '../../src/providers/redis/redis-keys.js';
import { RedisLog } from '../../src/providers/redis/redis-log.js';
import { resolveRedisOptions } from '../../src/providers/redis/redis-options.js';
import { RedisPositions } from '../../src/providers/redis/redis-positions.js';
import { RedisRegistry } from '../../src/providers/redis/redis-registry.js';
import { TEST_REDIS_URL, checkRedis, dropPrefix, uniquePrefix } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

let prefix: string;
let connection: RedisConnection;
let keys: RedisKeys;
let log: RedisLog;
let registry: RedisRegistry;
let positions: RedisPositions;

beforeAll(() => checkRedis());
beforeEach(async () => {
  prefix = uniquePrefix('log');
  connection = new RedisConnection(
    resolveRedisOptions({ url: TEST_REDIS_URL, prefix, partitions: 4, blockMs: 200 }),
  );
  await connection.connect();
  keys = new RedisKeys(prefix);
  const categories = new RedisCategories(connection, keys);
  log = new RedisLog(connection, categories);
  registry = new RedisRegistry(connection, categories);
  positions = new RedisPositions(connection, keys);
});
afterEach(async () => {
  await connection.close();
  await dropPrefix(prefix);
});

const append = (events: EventInput[]) => log.append(prepareBatch(events, 1 << 20));
const partitionOf = (stream: string) => streamHash(stream) % 4;
const sequence = { kind: 'category', category: 'order' } as const;
const readPartition = (partition: number, after = '0', limit = 100) =>
  log.read({ sequence, after, limit, partition: { index: partition, count: 4 } });

describe('the redis log', () => {
  it('puts a stream in one partition, with versions and positions counted per partition', async () => {
    const published = await append([
      { stream: 'order-1', subject: 'order.placed', data: { n: 0 } },
      { stream: 'order-1', subject: 'order.paid', data: { n: 1 }, metadata: { by: 'x' } },
      { stream: 'order-2', subject: 'order.placed', data: { n: 2 } },
    ]);
    expect(published.map((p) => p.version)).toEqual([0, 1, 0]);
    const page = await readPartition(partitionOf('order-1'));
    const ones = page.events.filter((e) => e.stream === 'order-1');
    expect(ones.map((e) => [e.subject, e.version, e.data, e.metadata])).toEqual([
      ['order.placed', 0, { n: 0 }, {}],
      ['order.paid', 1, { n: 1 }, { by: 'x' }],
    ]);
    expect(ones.map((e) => e.position)).toEqual([published[0]?.position, published[1]?.position]);
    expect(page.next).toBe(page.events.at(-1)?.position);
    const after = await readPartition(partitionOf('order-1'), page.next);
    expect(after.events).toEqual([]);
  });

  it('refuses a wrong expected version and a duplicate id, writing nothing of that partition', async () => {
    await append([{ stream: 'order-1', subject: 'order.placed', data: 0 }]);
    await expect(
      append([
        { stream: 'order-1', subject: 'order.paid', data: 1 },
        { stream: 'order-1', subject: 'order.paid', data: 2, expectedVersion: 0 },
      ]),
    ).rejects.toMatchObject({ reason: 'version_conflict' });
    const [first] = await append([
      { stream: 'order-1', subject: 'order.paid', data: 1, expectedVersion: 0 },
    ]);
    await expect(
      log.append(
        prepareBatch([{ id: first?.id, stream: 'order-1', subject: 'x', data: 1 }], 1 << 20),
      ),
    ).rejects.toBeInstanceOf(ConflictError);
    const page = await readPartition(partitionOf('order-1'));
    expect(page.events.map((e) => e.version)).toEqual([0, 1]);
  });

  it('lands a batch across partitions whole or not at all on one server', async () => {
    const other = ['order-2', 'order-3', 'order-4', 'order-5', 'order-6'].find(
      (stream) => partitionOf(stream) !== partitionOf('order-1'),
    ) as string;
    await append([{ stream: 'order-1', subject: 'order.placed', data: 0 }]);
    await expect(
      append([
        { stream: other, subject: 'order.placed', data: 1 },
        { stream: 'order-1', subject: 'order.paid', data: 2, expectedVersion: 5 },
      ]),
    ).rejects.toMatchObject({ reason: 'version_conflict' });
    expect((await readPartition(partitionOf(other))).events).toEqual([]);
    const both = await append([
      { stream: other, subject: 'order.placed', data: 1 },
      { stream: 'order-1', subject: 'order.paid', data: 2, expectedVersion: 0 },
    ]);
    expect(both.map((p) => p.version)).toEqual([0, 1]);
  });

  it('answers a retried call with what the first one stored, storing nothing twice', async () => {
    const { log: stream, heads, ids } = keys.partition('order', partitionOf('order-9'));
    await connection.run('category_partitions', [keys.categories], ['order', 4]);
    const args = ['1', '0', 'id-1', 'order-9', 'order.placed', '', '{"n":1}', ''];
    const first = (await connection.run(
      'append',
      [stream, heads, ids],
      ['0', ...args],
    )) as string[];
    const again = (await connection.run(
      'append',
      [stream, heads, ids],
      ['1', ...args],
    )) as string[];
    expect(first[0]).toBe('ok');
    expect(again).toEqual(['stored', `${first[2]}:0:${first[1]}`]);
    expect(await connection.client.xlen(stream)).toBe(1);
  });

  it('waits on the server for the next event when it has none (a long poll)', async () => {
    await connection.run('category_partitions', [keys.categories], ['order', 4]);
    const patient = new RedisConnection(
      resolveRedisOptions({ url: TEST_REDIS_URL, prefix, partitions: 4, blockMs: 30_000 }),
    );
    await patient.connect();
    const waiting = new RedisLog(patient, new RedisCategories(patient, keys)).read({
      sequence,
      after: '0',
      limit: 10,
      partition: { index: partitionOf('order-5'), count: 4 },
      wait: true,
    });
    // Blocked on the server: a client of ours waits in XREAD.
    await waitFor(
      async () =>
        ((await connection.client.client('LIST')) as string)
          .split('\n')
          .some((line) => line.includes('cmd=xread') && / flags=b /.test(line)),
      'a read blocked on the server',
    );
    await append([{ stream: 'order-5', subject: 'order.placed', data: 5 }]);
    const page = await waiting;
    await patient.close();
    expect(page.longPoll).toBe(true);
    expect(page.events.map((e) => e.stream)).toEqual(['order-5']);
  });

  it('starts a new consumer per partition at the beginning, the end or a time', async () => {
    const [first] = await append([{ stream: 'order-1', subject: 'order.placed', data: 0 }]);
    const between = new Date((first?.time.getTime() ?? 0) + 1);
    // The next publish gets a later time than the first (the server's clock, the same machine's).
    await waitFor(() => Date.now() > between.getTime(), 'a later millisecond');
    await append([{ stream: 'order-1', subject: 'order.paid', data: 1 }]);
    const definition = (name: string) => ({
      name,
      sequence,
      subjects: [],
      partitions: 4,
      maxAttempts: 3,
    });
    await registry.register(definition('from-start'), '0', { kind: 'beginning' });
    await registry.register(definition('from-end'), '0', { kind: 'end' });
    await registry.register(definition('from-time'), '0', { kind: 'time', time: between });
    const p = partitionOf('order-1');
    const at = async (name: string) => (await positions.load(name))[p]?.position;
    expect(await at('from-start')).toBe('0');
    expect(await at('from-end')).toBe('2');
    expect(await at('from-time')).toBe('1');
    await expect(
      registry.register({ ...definition('odd'), partitions: 3 }, '0'),
    ).rejects.toMatchObject({
      reason: 'partition_count_mismatch',
    });
    expect((await registry.list()).map((r) => r.name)).toEqual([
      'from-end',
      'from-start',
      'from-time',
    ]);
  });

  it('stores a commit only for the partition owner in its generation, never backwards', async () => {
    await registry.register(
      { name: 'billing', sequence, subjects: [], partitions: 4, maxAttempts: 3 },
      '0',
    );
    const { owners } = keys.consumer('billing');
    await connection.client.hset(
      owners,
      '0',
      JSON.stringify({ member: 'm1', generation: 2, revoking: false }),
    );
    await positions.commit('billing', 'm1', [{ partition: 0, position: '7', generation: 2 }]);
    await positions.commit('billing', 'm1', [{ partition: 0, position: '5', generation: 3 }]);
    const error = await positions
      .commit('billing', 'm1', [
        { partition: 0, position: '9', generation: 1 },
        { partition: 1, position: '9', generation: 2 },
      ])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FencedError);
    expect((error as FencedError).details).toMatchObject({ partitions: [0, 1] });
    const stored = await positions.load('billing');
    expect(stored[0]).toMatchObject({ position: '7', generation: 3 });
    expect(stored[1]).toMatchObject({ position: '0', generation: 0 });
  });
});
