import { validate as isUuid, version as uuidVersion } from 'uuid';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { DEFAULT_MAX_EVENT_BYTES, prepareBatch, prepareEvent } from '../../src/core/event.js';

const LIMIT = 1000;

function valid(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { stream: 'order-1', subject: 'order.created', data: { total: 5 }, ...overrides };
}

function reasonOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return error.reason;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('prepareEvent', () => {
  it('validates, derives the category and serializes once', () => {
    const event = prepareEvent(valid({ metadata: { traceId: 't1' } }), LIMIT);
    expect(event).toMatchObject({
      stream: 'order-1',
      category: 'order',
      subject: 'order.created',
      data: { total: 5 },
      dataJson: '{"total":5}',
      metadata: { traceId: 't1' },
      metadataJson: '{"traceId":"t1"}',
      expectedVersion: null,
    });
  });

  it('stores nothing for empty metadata and accepts null data', () => {
    const event = prepareEvent(valid({ data: null }), LIMIT);
    expect(event.metadata).toEqual({});
    expect(event.metadataJson).toBeNull();
    expect(event.dataJson).toBe('null');
  });

  it.each([null, 'order-1', 42, [valid()]])('rejects %j as an event', (input) => {
    expect(reasonOf(() => prepareEvent(input, LIMIT))).toBe('invalid_event');
  });

  it('names a bad stream or subject', () => {
    expect(reasonOf(() => prepareEvent(valid({ stream: 'x y' }), LIMIT))).toBe('invalid_stream');
    expect(reasonOf(() => prepareEvent(valid({ subject: 'a.*' }), LIMIT))).toBe('invalid_subject');
  });

  it('needs data', () => {
    const withoutData = valid();
    delete withoutData.data;
    expect(reasonOf(() => prepareEvent(withoutData, LIMIT))).toBe('invalid_json');
  });

  it.each([
    ['undefined', undefined],
    ['a function', () => undefined],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['a BigInt', 1n],
    ['a Date', new Date()],
    ['a Map', new Map()],
    ['a class instance', new (class Order {})()],
    ['deep nesting', JSON.parse('['.repeat(100) + ']'.repeat(100)) as unknown],
  ])('rejects %s as data with invalid_json', (_, data) => {
    expect(reasonOf(() => prepareEvent(valid({ data }), LIMIT))).toBe('invalid_json');
  });

  it.each([
    ['an array', []],
    ['a string', 'x'],
    ['a Date inside', { at: new Date() }],
  ])('rejects %s as metadata with invalid_json', (_, metadata) => {
    expect(reasonOf(() => prepareEvent(valid({ metadata }), LIMIT))).toBe('invalid_json');
  });
});

describe('event size', () => {
  // A JSON string of n ASCII characters takes n + 2 bytes with its quotes.
  it('accepts data exactly at the limit and rejects one byte more', () => {
    expect(prepareEvent(valid({ data: 'a'.repeat(LIMIT - 2) }), LIMIT).dataJson).toHaveLength(
      LIMIT,
    );
    expect(reasonOf(() => prepareEvent(valid({ data: 'a'.repeat(LIMIT - 1) }), LIMIT))).toBe(
      'payload_too_large',
    );
  });

  it('measures multi-byte text in UTF-8 bytes, not characters', () => {
    // 400 × "é" is 402 characters of JSON but 802 bytes.
    expect(() => prepareEvent(valid({ data: 'é'.repeat(400) }), 801)).toThrow(/802 bytes/);
    expect(prepareEvent(valid({ data: 'é'.repeat(400) }), 802).dataJson).toHaveLength(402);
    // An emoji is two UTF-16 units and four bytes.
    expect(() => prepareEvent(valid({ data: '😀'.repeat(100) }), 401)).toThrow(/402 bytes/);
    expect(() => prepareEvent(valid({ data: '日'.repeat(100) }), 301)).toThrow(/302 bytes/);
  });

  it('counts metadata too and reports size and limit', () => {
    const input = valid({ data: 'a'.repeat(500), metadata: { note: 'b'.repeat(500) } });
    try {
      prepareEvent(input, LIMIT);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).reason).toBe('payload_too_large');
      expect((error as ValidationError).details).toEqual({ size: 1013, limit: LIMIT });
    }
  });

  it('defaults to 1 MiB', () => {
    expect(DEFAULT_MAX_EVENT_BYTES).toBe(1024 * 1024);
  });
});

describe('event ids', () => {
  it('generates time-ordered UUIDv7 ids', () => {
    const before = Date.now();
    const ids = Array.from({ length: 2000 }, () => prepareEvent(valid(), LIMIT).id);
    const after = Date.now();
    for (const id of ids) {
      expect(isUuid(id)).toBe(true);
      expect(uuidVersion(id)).toBe(7);
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    const millis = parseInt((ids[0] as string).replace(/-/g, '').slice(0, 12), 16);
    expect(millis).toBeGreaterThanOrEqual(before);
    expect(millis).toBeLessThanOrEqual(after);
  });

  it('keeps a given UUID, lower-cased', () => {
    const id = '0190F4B2-8C3A-7D4E-9F00-123456789ABC';
    expect(prepareEvent(valid({ id }), LIMIT).id).toBe(id.toLowerCase());
    const version3 = 'a3bb189e-8bf9-3888-9912-ace4e6543002';
    expect(prepareEvent(valid({ id: version3 }), LIMIT).id).toBe(version3);
  });

  it.each(['', 'abc', '1234', 'a3bb189e8bf938889912ace4e6543002x', 42, {}])(
    'rejects the id %j',
    (id) => {
      expect(reasonOf(() => prepareEvent(valid({ id }), LIMIT))).toBe('invalid_id');
    },
  );
});

describe('expectedVersion', () => {
  it.each([-1, 0, 7, 2 ** 31])('accepts %j', (expectedVersion) => {
    expect(prepareEvent(valid({ expectedVersion }), LIMIT).expectedVersion).toBe(expectedVersion);
  });

  it.each([-2, 1.5, '1', NaN, Infinity, true])('rejects %j', (expectedVersion) => {
    expect(reasonOf(() => prepareEvent(valid({ expectedVersion }), LIMIT))).toBe(
      'invalid_expected_version',
    );
  });
});

describe('prepareBatch', () => {
  it('prepares every event, in order', () => {
    const batch = prepareBatch([valid(), valid({ stream: 'user-2' })], LIMIT);
    expect(batch.map((e) => e.stream)).toEqual(['order-1', 'user-2']);
    expect(prepareBatch([], LIMIT)).toEqual([]);
  });

  it('rejects what is not an array', () => {
    expect(reasonOf(() => prepareBatch(valid(), LIMIT))).toBe('invalid_batch');
  });

  it('names the index of the failing event and keeps its reason', () => {
    try {
      prepareBatch([valid(), valid(), valid({ data: NaN })], LIMIT);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      const e = error as ValidationError;
      expect(e.message).toMatch(/^event 2: /);
      expect(e.reason).toBe('invalid_json');
      expect(e.details).toMatchObject({ index: 2 });
    }
  });

  it('keeps the size details beside the index', () => {
    try {
      prepareBatch([valid({ data: 'x'.repeat(LIMIT) })], LIMIT);
      expect.unreachable();
    } catch (error) {
      expect((error as ValidationError).details).toEqual({
        size: LIMIT + 2,
        limit: LIMIT,
        index: 0,
      });
    }
  });
});
