/**
 * The Kafka provider's pure parts: option validation and name mapping, the
 * record codec, the stream→partition hash (Kafka's own), and the sticky
 * assignor. The provider against a real broker is in the conformance suite
 * and test/int/kafka-provider.int.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/index.js';
import { prepareEvent } from '../../src/core/event.js';
import { fromRecord, toRecord, FOREIGN_SUBJECT } from '../../src/providers/kafka/kafka-codec.js';
import { partitionOfStream } from '../../src/providers/kafka/kafka-log.js';
import { KafkaNames, resolveKafkaOptions } from '../../src/providers/kafka/kafka-options.js';
import { planSticky, readAnnouncement } from '../../src/providers/kafka/sticky-assigner.js';

describe('kafka options', () => {
  it('defaults to one local broker and the millrace prefix', () => {
    const options = resolveKafkaOptions();
    expect(options.brokers).toEqual(['127.0.0.1:9092']);
    expect(options.prefix).toBe('millrace');
    expect(options.partitions).toBe(8);
  });

  it.each([
    [{ brokers: [] }, 'brokers'],
    [{ brokers: ['no-port'] }, 'brokers'],
    [{ prefix: 'a.b' }, 'prefix'],
    [{ prefix: '' }, 'prefix'],
    [{ partitions: 0 }, 'partitions'],
    [{ fetchWaitMs: -1 }, 'fetchWaitMs'],
    [{ clientId: 'with space' }, 'clientId'],
  ])('refuses %j', (options, option) => {
    expect(() => resolveKafkaOptions(options as never)).toThrow(ValidationError);
    try {
      resolveKafkaOptions(options);
    } catch (error) {
      expect((error as ValidationError).details).toEqual({ option });
    }
  });

  it('maps categories and consumers into the prefix, and keeps its own topics apart', () => {
    const names = new KafkaNames('shop');
    expect(names.topic('order')).toBe('shop.order');
    expect(names.group('billing')).toBe('shop.billing');
    expect(names.categoryOf('shop.order')).toBe('order');
    expect(names.categoryOf(names.deliveriesTopic)).toBeUndefined();
    expect(names.categoryOf('other.order')).toBeUndefined();
  });
});

describe('kafka record codec', () => {
  it('round-trips an event: stream as key, id/subject/metadata as headers, offset + 1 as position', () => {
    const prepared = prepareEvent(
      { stream: 'order-7', subject: 'order.paid', data: { total: 12 }, metadata: { trace: 'x' } },
      1 << 20,
    );
    const out = toRecord(prepared, 'shop.order', 3);
    expect(out.key.toString()).toBe('order-7');
    const record = {
      length: 0,
      attributes: 0,
      timestampDelta: 0n,
      offsetDelta: 0,
      key: out.key,
      value: out.value,
      headers: [...out.headers.entries()],
    };
    const event = fromRecord(record, {
      topic: 'shop.order',
      category: 'order',
      partition: 3,
      offset: 41n,
      time: 1_700_000_000_000n,
    });
    expect(event).toMatchObject({
      id: prepared.id,
      stream: 'order-7',
      category: 'order',
      subject: 'order.paid',
      data: { total: 12 },
      metadata: { trace: 'x' },
      position: '42',
    });
    expect(event.time.getTime()).toBe(1_700_000_000_000);
  });

  it('reads a foreign record (no headers, not JSON) with a stable derived id', () => {
    const record = {
      length: 0,
      attributes: 0,
      timestampDelta: 0n,
      offsetDelta: 0,
      key: Buffer.from('order-1'),
      value: Buffer.from('plain text'),
      headers: [],
    };
    const where = { topic: 't', category: 'order', partition: 0, offset: 5n, time: 0n };
    const a = fromRecord(record, where);
    expect(a.subject).toBe(FOREIGN_SUBJECT);
    expect(a.data).toBe('plain text');
    expect(fromRecord(record, where).id).toBe(a.id);
    expect(fromRecord(record, { ...where, offset: 6n }).id).not.toBe(a.id);
  });
});

describe('stream partitioning', () => {
  it("matches Kafka's default partitioner for keyed records (Java murmur2)", () => {
    // Computed with Kafka 4.4's own Utils.toPositive(Utils.murmur2(key)) % 8 in jshell.
    expect(['order-1', 'order-2', 'user-42', 'a'].map((k) => partitionOfStream(k, 8))).toEqual([
      6, 3, 4, 4,
    ]);
    const spread = new Set(Array.from({ length: 200 }, (_, i) => partitionOfStream(`s-${i}`, 8)));
    expect(spread.size).toBe(8);
    expect(partitionOfStream('order-1', 8)).toBe(partitionOfStream('order-1', 8));
  });
});

describe('sticky assignor', () => {
  const partitionsOf = (plan: Map<string, number[]>) =>
    [...plan.values()].flat().sort((a, b) => a - b);

  it('gives every partition to exactly one member, balanced', () => {
    const plan = planSticky(
      [
        { id: 'a', owned: [] },
        { id: 'b', owned: [] },
        { id: 'c', owned: [] },
      ],
      8,
    );
    expect(partitionsOf(plan)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect([...plan.values()].map((p) => p.length).sort()).toEqual([2, 3, 3]);
  });

  it('keeps partitions where they are when a member joins, moving only what balance needs', () => {
    const plan = planSticky(
      [
        { id: 'old', owned: [0, 1, 2, 3, 4, 5, 6, 7] },
        { id: 'new', owned: [] },
      ],
      8,
    );
    expect(plan.get('old')).toEqual([0, 1, 2, 3]);
    expect(plan.get('new')).toEqual([4, 5, 6, 7]);
  });

  it('hands a leaving member’s partitions to the others and keeps theirs', () => {
    const plan = planSticky(
      [
        { id: 'a', owned: [0, 1, 2] },
        { id: 'b', owned: [3, 4, 5] },
      ],
      8,
    );
    expect(plan.get('a')?.slice(0, 3)).toEqual([0, 1, 2]);
    expect(plan.get('b')?.slice(0, 3)).toEqual([3, 4, 5]);
    expect(partitionsOf(plan)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('gives a partition claimed twice (a stale member) to one of them only', () => {
    const plan = planSticky(
      [
        { id: 'a', owned: [0, 1, 2, 3] },
        { id: 'b', owned: [2, 3, 4, 5, 6, 7] },
      ],
      8,
    );
    expect(partitionsOf(plan)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('reads what a member announced, and ignores what is not an announcement', () => {
    const text = JSON.stringify({ member: 'm1', host: 'h', pid: 7, owned: [1, 2] });
    expect(readAnnouncement(Buffer.from(text))).toEqual({
      member: 'm1',
      host: 'h',
      pid: 7,
      owned: [1, 2],
    });
    expect(readAnnouncement(Buffer.from('nope'))).toBeUndefined();
    expect(readAnnouncement(undefined)).toBeUndefined();
  });
});
