import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MemoryProvider } from '../../src/providers/memory/memory-provider.js';
import type { ReadRequest } from '../../src/core/contracts/log.js';
import type { PositionCommit } from '../../src/core/contracts/positions.js';
import type { MemberSession } from '../../src/core/contracts/membership.js';
import type { ConsumerDefinition } from '../../src/core/contracts/registry.js';
import {
  ClosedError,
  ConflictError,
  FencedError,
  NotFoundError,
  UnsupportedError,
  ValidationError,
} from '../../src/core/errors.js';
import { prepareBatch, type EventInput, type PreparedEvent } from '../../src/core/event.js';
import type { JsonValue } from '../../src/core/json.js';
import { Millrace } from '../../src/millrace.js';
import { POSTGRES_CAPABILITIES } from '../../src/providers/postgres/postgres-provider.js';
import { streamHash } from '../../src/core/kit/stream-hash.js';
import { memory } from '../../src/testing.js';
import { waitFor } from '../support/wait.js';

function events(...inputs: Partial<EventInput>[]): PreparedEvent[] {
  return prepareBatch(
    inputs.map((input) => ({ stream: 'order-1', subject: 'order.created', data: {}, ...input })),
    1024 * 1024,
  );
}

async function conflict(promise: Promise<unknown>): Promise<ConflictError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConflictError);
  return error as ConflictError;
}

let provider: MemoryProvider;

function join(consumer: string, partitions: number, id = 'member-1'): Promise<MemberSession> {
  return provider.membership.join({
    consumer,
    partitions,
    member: { id, host: 'h', pid: 1 },
    sessionTimeoutMs: 10_000,
    heartbeatIntervalMs: 3_000,
  });
}

/** Registers `definition` and waits until `member-1` owns every partition, so its commits pass the fence. */
async function owning(definition: ConsumerDefinition, start: string): Promise<void> {
  await provider.registry.register(definition, start);
  const session = await join(definition.name, definition.partitions);
  await waitFor(
    () => session.current().partitions.length === definition.partitions,
    'member-1 to own every partition',
  );
}

beforeEach(async () => {
  provider = await memory().open();
});

afterEach(async () => {
  vi.useRealTimers();
  await provider.close();
});

describe('the memory provider', () => {
  it('is of kind memory, with PostgreSQL capabilities but no transactions', () => {
    expect(provider.kind).toBe('memory');
    expect(provider.capabilities).toEqual({
      ...POSTGRES_CAPABILITIES,
      transactionalPublish: false,
      transactionalHandling: false,
    });
    expect(provider.wakeups).toBeDefined();
  });

  it('gives a lone member every partition through the allocator, in generation 1', async () => {
    await provider.registry.register(
      { name: 'c', sequence: { kind: 'log' }, subjects: [], partitions: 3, maxAttempts: 1 },
      '0',
    );
    const session = await join('c', 3);
    await waitFor(() => session.current().partitions.length === 3, 'every partition');
    expect(session.current()).toEqual({
      generation: 1,
      partitions: [0, 1, 2],
      handingOver: [],
      grantedIn: { 0: 1, 1: 1, 2: 1 },
    });
    expect(session.isLive()).toBe(true);
  });

  it('refuses a member of a consumer that is not registered', async () => {
    await expect(join('nobody', 3)).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('append', () => {
  it('gives positions from 1 and consecutive 0-based versions per stream, in input order', async () => {
    const published = await provider.log.append(
      events(
        { stream: 'order-1' },
        { stream: 'order-2' },
        { stream: 'order-1' },
        { stream: 'order-1' },
      ),
    );
    expect(published.map((p) => [p.stream, p.position, p.version])).toEqual([
      ['order-1', '1', 0],
      ['order-2', '2', 0],
      ['order-1', '3', 1],
      ['order-1', '4', 2],
    ]);
    const more = await provider.log.append(events({ stream: 'order-2' }, { stream: 'order-1' }));
    expect(more.map((p) => [p.position, p.version])).toEqual([
      ['5', 1],
      ['6', 3],
    ]);
  });

  it('returns the ids and one time for the whole batch', async () => {
    const batch = events({ id: 'A3BB189E-8BF9-3888-9912-ACE4E6543002' }, {});
    const published = await provider.log.append(batch);
    expect(published.map((p) => p.id)).toEqual(batch.map((e) => e.id));
    expect(published[0]?.id).toBe('a3bb189e-8bf9-3888-9912-ace4e6543002');
    expect(published[0]?.time).toEqual(published[1]?.time);
    expect(published[0]?.time).toBeInstanceOf(Date);
  });

  it('appends nothing for an empty batch', async () => {
    expect(await provider.log.append([])).toEqual([]);
    expect(await provider.log.end()).toBe('0');
  });

  it('checks expectedVersion against the version the stream is at before the event', async () => {
    await provider.log.append(events({ expectedVersion: -1 }, { expectedVersion: 0 }));
    await provider.log.append(events({ expectedVersion: 1 }));
    const error = await conflict(provider.log.append(events({ expectedVersion: 1 })));
    expect(error.reason).toBe('version_conflict');
    expect(error.retriable).toBe(false);
    expect(error.details).toEqual({ stream: 'order-1', expected: 1, actual: 2 });
    expect(error.message).toMatch(/order-1 is at version 2, not the expected 1/);
  });

  it('treats -1 as "the stream is empty"', async () => {
    await provider.log.append(events({ stream: 'order-9', expectedVersion: -1 }));
    const error = await conflict(
      provider.log.append(events({ stream: 'order-9', expectedVersion: -1 })),
    );
    expect(error.details).toMatchObject({ expected: -1, actual: 0 });
  });

  it('rejects a whole batch whose later event conflicts, writing nothing', async () => {
    await provider.log.append(events({ stream: 'order-1' }));
    const batch = events(
      { stream: 'order-2' },
      { stream: 'order-1', expectedVersion: 0 },
      { stream: 'order-1', expectedVersion: 0 },
    );
    expect((await conflict(provider.log.append(batch))).reason).toBe('version_conflict');
    expect(await provider.log.end()).toBe('1');
    // Nothing of the batch was kept: its ids are free and its streams untouched.
    const retried = await provider.log.append(batch.slice(0, 2));
    expect(retried.map((p) => [p.position, p.version])).toEqual([
      ['2', 0],
      ['3', 1],
    ]);
  });

  it('refuses an id that exists, or appears twice in a batch, writing nothing', async () => {
    const [first] = events({});
    await provider.log.append([first as PreparedEvent]);
    const again = events({ stream: 'user-1' }, { id: first?.id, stream: 'user-2' });
    const error = await conflict(provider.log.append(again));
    expect(error.reason).toBe('duplicate_id');
    expect(error.retriable).toBe(false);
    const [twice] = events({});
    const doubled = await conflict(
      provider.log.append([twice as PreparedEvent, twice as PreparedEvent]),
    );
    expect(doubled.reason).toBe('duplicate_id');
    expect(await provider.log.end()).toBe('1');
  });

  it('cannot publish inside a transaction', async () => {
    await expect(provider.log.append(events({}), { transaction: {} })).rejects.toBeInstanceOf(
      UnsupportedError,
    );
    expect(await provider.log.end()).toBe('0');
  });

  it('keeps what was published, whatever the publisher changes afterwards', async () => {
    const data = { items: [1, 2] };
    await provider.log.append(events({ data }));
    data.items.push(3);
    const { events: read } = await provider.log.read(request({}));
    expect(read[0]?.data).toEqual({ items: [1, 2] });
    (read[0]?.data as { items: number[] }).items.push(4);
    const { events: again } = await provider.log.read(request({}));
    expect(again[0]?.data).toEqual({ items: [1, 2] });
  });
});

function request(overrides: Partial<ReadRequest>): ReadRequest {
  return { sequence: { kind: 'log' }, after: '0', limit: 100, ...overrides };
}

async function publishMix(): Promise<void> {
  await provider.log.append(
    events(
      { stream: 'order-1', subject: 'order.created', data: 1 },
      { stream: 'user-1', subject: 'user.created', data: 2 },
      { stream: 'order-2', subject: 'order.created', data: 3 },
      { stream: 'order-1', subject: 'order.item.added', data: 4 },
      { stream: 'order-1', subject: 'order.cancelled', data: 5, metadata: { by: 'me' } },
      { stream: 'user-1', subject: 'user.renamed', data: 6 },
    ),
  );
}

describe('read', () => {
  beforeEach(publishMix);

  const data = (page: { events: readonly { data: JsonValue }[] }) => page.events.map((e) => e.data);

  it('reads the log in position order, with every field', async () => {
    const page = await provider.log.read(request({}));
    expect(data(page)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(page).toMatchObject({ next: '6', hasMore: false, pending: false });
    expect(page.events[4]).toMatchObject({
      stream: 'order-1',
      category: 'order',
      subject: 'order.cancelled',
      metadata: { by: 'me' },
      position: '5',
      version: 2,
    });
    expect(page.events[0]?.metadata).toEqual({});
    expect(page.events[0]?.time).toBeInstanceOf(Date);
  });

  it('reads a category or a stream', async () => {
    const category = await provider.log.read(
      request({ sequence: { kind: 'category', category: 'order' } }),
    );
    expect(data(category)).toEqual([1, 3, 4, 5]);
    const stream = await provider.log.read(
      request({ sequence: { kind: 'stream', stream: 'order-1' } }),
    );
    expect(data(stream)).toEqual([1, 4, 5]);
    expect(stream.events.map((e) => e.version)).toEqual([0, 1, 2]);
    const none = await provider.log.read(
      request({ sequence: { kind: 'stream', stream: 'order-404' } }),
    );
    expect(none).toEqual({ events: [], next: '6', hasMore: false, pending: false });
  });

  it('reads strictly after a position', async () => {
    expect(data(await provider.log.read(request({ after: '4' })))).toEqual([5, 6]);
    const stream = await provider.log.read(
      request({ sequence: { kind: 'stream', stream: 'order-1' }, after: '1' }),
    );
    expect(data(stream)).toEqual([4, 5]);
  });

  it('cuts pages at the limit and goes on from the last event', async () => {
    const first = await provider.log.read(request({ limit: 4 }));
    expect(data(first)).toEqual([1, 2, 3, 4]);
    expect(first).toMatchObject({ next: '4', hasMore: true });
    const second = await provider.log.read(request({ limit: 4, after: first.next }));
    expect(data(second)).toEqual([5, 6]);
    expect(second).toMatchObject({ next: '6', hasMore: false });
  });

  it('says a full page may have more, as PostgreSQL does', async () => {
    const page = await provider.log.read(request({ limit: 6 }));
    expect(page).toMatchObject({ next: '6', hasMore: true });
    const after = await provider.log.read(request({ after: page.next }));
    expect(after).toEqual({ events: [], next: '6', hasMore: false, pending: false });
  });

  it('filters by subject patterns and moves next past what it filtered out', async () => {
    const page = await provider.log.read(request({ subjects: ['order.*'] }));
    expect(data(page)).toEqual([1, 3, 5]);
    expect(page.next).toBe('6');
    expect(data(await provider.log.read(request({ subjects: ['order.>'] })))).toEqual([1, 3, 4, 5]);
    expect(
      data(await provider.log.read(request({ subjects: ['user.renamed', '*.cancelled'] }))),
    ).toEqual([5, 6]);
    const limited = await provider.log.read(request({ subjects: ['user.>'], limit: 1 }));
    expect(data(limited)).toEqual([2]);
    expect(limited).toMatchObject({ next: '2', hasMore: true });
  });

  it('never moves next backwards, even after the end', async () => {
    const page = await provider.log.read(request({ after: '100' }));
    expect(page).toEqual({ events: [], next: '100', hasMore: false, pending: false });
  });

  it('splits a sequence into disjoint partitions by a hash of the stream', async () => {
    for (let i = 0; i < 40; i++) {
      await provider.log.append(events({ stream: `order-x${i}`, data: 100 + i }));
    }
    for (const count of [1, 2, 3, 7]) {
      const seen: JsonValue[] = [];
      for (let index = 0; index < count; index++) {
        const page = await provider.log.read(
          request({
            sequence: { kind: 'category', category: 'order' },
            partition: { index, count },
          }),
        );
        for (const event of page.events) {
          expect(streamHash(event.stream) % count).toBe(index);
          seen.push(event.data);
        }
        expect(page.next).toBe('46');
      }
      expect(seen).toHaveLength(44);
    }
    // One stream's events always land in one partition, in order.
    const pages = await Promise.all(
      [0, 1, 2, 3].map((index) => provider.log.read(request({ partition: { index, count: 4 } }))),
    );
    const holding = pages.filter((p) => p.events.some((e) => e.stream === 'order-1'));
    expect(holding).toHaveLength(1);
    expect(holding[0]?.events.filter((e) => e.stream === 'order-1').map((e) => e.version)).toEqual([
      0, 1, 2,
    ]);
  });

  it('hashes stream names with 32-bit FNV-1a', () => {
    expect(streamHash('')).toBe(0x811c9dc5);
    expect(streamHash('a')).toBe(0xe40c292c);
    expect(streamHash('foobar')).toBe(0xbf9cf968);
  });

  it('rejects a bad partition, limit or position', async () => {
    for (const partition of [
      { index: 2, count: 2 },
      { index: -1, count: 2 },
      { index: 0, count: 0 },
      { index: 0, count: 1025 },
      { index: 0.5, count: 2 },
    ]) {
      await expect(provider.log.read(request({ partition }))).rejects.toBeInstanceOf(
        ValidationError,
      );
    }
    await expect(provider.log.read(request({ limit: 0 }))).rejects.toBeInstanceOf(ValidationError);
    await expect(provider.log.read(request({ after: '-1' }))).rejects.toBeInstanceOf(
      ValidationError,
    );
  });
});

describe('end, positionAt and count', () => {
  it('puts the end at the last position', async () => {
    expect(await provider.log.end()).toBe('0');
    await publishMix();
    expect(await provider.log.end()).toBe('6');
  });

  it('finds the position just before the first event at or after a time', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    expect(await provider.log.positionAt(new Date())).toBe('0');
    vi.setSystemTime(new Date('2024-01-01T00:00:00Z'));
    await provider.log.append(events({}, {}));
    vi.setSystemTime(new Date('2024-01-01T00:01:00Z'));
    await provider.log.append(events({}));
    vi.setSystemTime(new Date('2024-01-01T00:02:00Z'));
    await provider.log.append(events({}, {}));
    const at = (iso: string) => provider.log.positionAt(new Date(iso));
    expect(await at('2023-12-31T00:00:00Z')).toBe('0');
    expect(await at('2024-01-01T00:00:00Z')).toBe('0');
    expect(await at('2024-01-01T00:00:30Z')).toBe('2');
    expect(await at('2024-01-01T00:01:00Z')).toBe('2');
    expect(await at('2024-01-01T00:01:00.001Z')).toBe('3');
    expect(await at('2024-01-01T00:02:00Z')).toBe('3');
    expect(await at('2030-01-01T00:00:00Z')).toBe('5');
  });

  it('never lets event times go back, even when the clock does', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2024-01-01T00:10:00Z'));
    const [late] = await provider.log.append(events({}));
    vi.setSystemTime(new Date('2024-01-01T00:00:00Z'));
    const [early] = await provider.log.append(events({}));
    expect(early?.time.getTime()).toBe(late?.time.getTime());
    expect(await provider.log.positionAt(new Date('2024-01-01T00:05:00Z'))).toBe('0');
  });

  it('counts what a read would return, after a position', async () => {
    await publishMix();
    expect(await provider.log.count({ sequence: { kind: 'log' }, after: '0' })).toBe(6);
    expect(await provider.log.count({ sequence: { kind: 'log' }, after: '4' })).toBe(2);
    expect(
      await provider.log.count({
        sequence: { kind: 'category', category: 'order' },
        after: '0',
        subjects: ['order.*'],
      }),
    ).toBe(3);
    expect(
      await provider.log.count({ sequence: { kind: 'stream', stream: 'user-1' }, after: '2' }),
    ).toBe(1);
    const perPartition = await Promise.all(
      [0, 1, 2].map((index) =>
        provider.log.count({
          sequence: { kind: 'log' },
          after: '0',
          partition: { index, count: 3 },
        }),
      ),
    );
    expect(perPartition.reduce((a, b) => a + b, 0)).toBe(6);
  });
});

describe('registry and positions', () => {
  const definition = {
    name: 'mailer',
    sequence: { kind: 'category', category: 'order' } as const,
    subjects: ['order.*'],
    partitions: 2,
    maxAttempts: 5,
  };

  it('creates every partition at the start position, in generation 0', async () => {
    const record = await provider.registry.register(definition, '7');
    expect(record).toMatchObject(definition);
    expect(record.createdAt).toEqual(record.updatedAt);
    const positions = await provider.positions.load('mailer');
    expect(positions.map((p) => [p.partition, p.position, p.generation])).toEqual([
      [0, '7', 0],
      [1, '7', 0],
    ]);
    expect(await provider.positions.load('nobody')).toEqual([]);
  });

  it('lists and gets consumers, by name', async () => {
    await provider.registry.register({ ...definition, name: 'zeta' }, '0');
    await provider.registry.register(definition, '0');
    expect((await provider.registry.list()).map((r) => r.name)).toEqual(['mailer', 'zeta']);
    expect((await provider.registry.get('zeta'))?.partitions).toBe(2);
    expect(await provider.registry.get('nobody')).toBeUndefined();
  });

  it('keeps a registered consumer as it is when registered again with the same options', async () => {
    await owning(definition, '7');
    const first = await provider.registry.register(definition, '7');
    await provider.positions.commit('mailer', 'member-1', [
      { partition: 0, position: '9', generation: 1 },
    ]);
    const second = await provider.registry.register(definition, '100');
    expect(second).toEqual(first);
    expect((await provider.positions.load('mailer')).map((p) => p.position)).toEqual(['9', '7']);
  });

  it('updates subjects and attempts without touching positions', async () => {
    await provider.registry.register(definition, '7');
    const updated = await provider.registry.register(
      { ...definition, subjects: ['order.>'], maxAttempts: 2 },
      '100',
    );
    expect(updated).toMatchObject({ subjects: ['order.>'], maxAttempts: 2 });
    expect((await provider.positions.load('mailer')).map((p) => p.position)).toEqual(['7', '7']);
  });

  it('remaps positions under a new generation when the partition count changes', async () => {
    await owning(definition, '0');
    await provider.positions.commit('mailer', 'member-1', [
      { partition: 0, position: '10', generation: 1 },
      { partition: 1, position: '20', generation: 3 },
    ]);
    await provider.registry.register({ ...definition, partitions: 4 }, '99');
    expect(
      (await provider.positions.load('mailer')).map((p) => [p.partition, p.position, p.generation]),
    ).toEqual([
      [0, '10', 4],
      [1, '20', 4],
      [2, '10', 4],
      [3, '20', 4],
    ]);
    await provider.registry.register({ ...definition, partitions: 3 }, '99');
    expect((await provider.positions.load('mailer')).map((p) => p.position)).toEqual([
      '10',
      '10',
      '10',
    ]);
    expect((await provider.positions.load('mailer'))[0]?.generation).toBe(5);
  });

  it('refuses a registered name over another sequence', async () => {
    await provider.registry.register(definition, '0');
    const error = await conflict(
      provider.registry.register({ ...definition, sequence: { kind: 'log' } }, '0'),
    );
    expect(error.reason).toBe('consumer_sequence_mismatch');
    expect(error.details).toEqual({ registered: 'category:order', requested: 'log' });
  });

  it('hands out copies that cannot change the registry', async () => {
    const record = await provider.registry.register(definition, '0');
    (record.subjects as string[]).push('x.y');
    const [position] = await provider.positions.load('mailer');
    position?.updatedAt.setTime(0);
    expect((await provider.registry.get('mailer'))?.subjects).toEqual(['order.*']);
    expect((await provider.positions.load('mailer'))[0]?.updatedAt.getTime()).not.toBe(0);
  });

  it('moves positions forward only, recording the generation of the last commit', async () => {
    await owning(definition, '5');
    await provider.positions.commit('mailer', 'member-1', [
      { partition: 0, position: '8', generation: 2 },
      { partition: 1, position: '4', generation: 2 },
    ]);
    await provider.positions.commit('mailer', 'member-1', [
      { partition: 0, position: '6', generation: 3 },
    ]);
    expect(
      (await provider.positions.load('mailer')).map((p) => [p.partition, p.position, p.generation]),
    ).toEqual([
      [0, '8', 3],
      [1, '5', 2],
    ]);
  });

  it('fences: commits only what the member owns since a generation <= the commit, refusing the rest after storing it', async () => {
    await owning(definition, '5');
    const refused = async (member: string, commits: PositionCommit[], consumer = 'mailer') => {
      const error = await provider.positions.commit(consumer, member, commits).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(FencedError);
      expect((error as FencedError).reason).toBe('stale_generation');
      return (error as FencedError).details;
    };
    // member-1 got both partitions in generation 1.
    expect(
      await refused('member-1', [
        { partition: 0, position: '9', generation: 0 },
        { partition: 1, position: '9', generation: 1 },
        { partition: 9, position: '9', generation: 1 },
      ]),
    ).toEqual({ consumer: 'mailer', member: 'member-1', partitions: [0, 9] });
    expect(await refused('member-2', [{ partition: 0, position: '10', generation: 7 }])).toEqual({
      consumer: 'mailer',
      member: 'member-2',
      partitions: [0],
    });
    expect(
      await refused('member-1', [{ partition: 0, position: '1', generation: 1 }], 'nobody'),
    ).toMatchObject({ partitions: [0] });
    expect((await provider.positions.load('mailer')).map((p) => p.position)).toEqual(['5', '9']);
    await provider.positions.commit('mailer', 'member-1', []);
  });

  it('compares positions as numbers, not text', async () => {
    await owning(definition, '9');
    await provider.positions.commit('mailer', 'member-1', [
      { partition: 0, position: '10', generation: 1 },
    ]);
    expect((await provider.positions.load('mailer'))[0]?.position).toBe('10');
  });

  it('refuses an invalid position, writing nothing', async () => {
    await owning(definition, '5');
    await expect(
      provider.positions.commit('mailer', 'member-1', [
        { partition: 0, position: '8', generation: 1 },
        { partition: 1, position: 'x', generation: 1 },
      ]),
    ).rejects.toBeInstanceOf(ValidationError);
    expect((await provider.positions.load('mailer'))[0]?.position).toBe('5');
    await expect(provider.registry.register(definition, '-1')).rejects.toBeInstanceOf(
      ValidationError,
    );
  });
});

describe('wake-ups', () => {
  it('tells listeners the categories appended to, after the append, not inside it', async () => {
    const heard: string[] = [];
    const hashes: number[] = [];
    const stop = await provider.wakeups?.subscribe((wakeup) => {
      heard.push(wakeup.category);
      hashes.push(...(wakeup.streamHashes ?? []));
    });
    const appending = provider.log.append(
      events({ stream: 'order-1' }, { stream: 'user-1' }, { stream: 'order-2' }),
    );
    expect(heard).toEqual([]);
    await appending;
    await Promise.resolve();
    expect(heard.sort()).toEqual(['order', 'user']);
    expect(hashes.sort()).toEqual(
      [streamHash('order-1'), streamHash('order-2'), streamHash('user-1')].sort(),
    );
    await stop?.();
    await provider.log.append(events({}));
    await Promise.resolve();
    expect(heard).toHaveLength(2);
  });

  it('says nothing about an append that failed', async () => {
    const heard: string[] = [];
    await provider.wakeups?.subscribe((wakeup) => heard.push(wakeup.category));
    await provider.log.append(events({ expectedVersion: -1 }));
    await Promise.resolve();
    heard.length = 0;
    await provider.log.append(events({ expectedVersion: -1 })).catch(() => undefined);
    await Promise.resolve();
    expect(heard).toEqual([]);
  });
});

describe('one factory, many providers', () => {
  it('shares data and wake-ups between providers of one factory, like processes on one database', async () => {
    const factory = memory();
    const a = await factory.open();
    const b = await factory.open();
    const heard: string[] = [];
    await b.wakeups?.subscribe((wakeup) => heard.push(wakeup.category));
    await a.log.append(events({}));
    await Promise.resolve();
    expect(heard).toEqual(['order']);
    expect(await b.log.end()).toBe('1');
    await b.close();
    await a.log.append(events({}));
    await Promise.resolve();
    expect(heard).toEqual(['order']);
    const c = await factory.open();
    expect(await c.log.end()).toBe('2');
    await Promise.all([a.close(), c.close()]);
  });

  it('keeps separate factories apart', async () => {
    await provider.log.append(events({}));
    const other = await memory().open();
    expect(await other.log.end()).toBe('0');
    await other.close();
  });

  it('refuses calls once closed', async () => {
    const closed = await memory().open();
    await closed.close();
    await expect(closed.log.end()).rejects.toBeInstanceOf(ClosedError);
    await expect(closed.log.append(events({}))).rejects.toBeInstanceOf(ClosedError);
    await expect(closed.positions.load('x')).rejects.toBeInstanceOf(ClosedError);
    await expect(closed.registry.list()).rejects.toBeInstanceOf(ClosedError);
    await expect(closed.wakeups?.subscribe(() => undefined)).rejects.toBeInstanceOf(ClosedError);
  });
});

describe('through Millrace', () => {
  it('publishes, reads and reports lag', async () => {
    const millrace = await Millrace.open({ provider: memory() });
    await millrace.publishBatch([
      { stream: 'order-1', subject: 'order.created', data: 1 },
      { stream: 'order-2', subject: 'order.created', data: 2 },
    ]);
    await expect(
      // The types refuse a transaction here (memory has none); plain JavaScript meets this error.
      millrace.publish({ stream: 'order-1', subject: 'x', data: 1 }, { transaction: {} as never }),
    ).rejects.toBeInstanceOf(UnsupportedError);
    expect((await millrace.read({ sequence: { category: 'order' } })).events).toHaveLength(2);
    await millrace.provider.registry.register(
      { name: 'c', sequence: { kind: 'log' }, subjects: [], partitions: 2, maxAttempts: 1 },
      '0',
    );
    expect((await millrace.consumerStatus('c')).lag).toBe(2);
    await millrace.close();
  });
});
