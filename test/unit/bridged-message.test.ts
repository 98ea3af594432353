import fc from 'fast-check';
import { validate as isUuid } from 'uuid';
import { describe, expect, it } from 'vitest';
import {
  resolveBridgeOptions,
  type BridgeOptions,
  type ResolvedBridgeOptions,
} from '../../src/bridge/bridge-options.js';
import {
  bridgedBytes,
  bridgedEvent,
  bridgedJson,
  subjectOfChannel,
  type BridgedMetadata,
} from '../../src/bridge/bridged-message.js';
import { messageHash, type HeardMessage } from '../../src/bridge/message-buffer.js';
import type { BridgeSource } from '../../src/bridge/sources/source.js';
import { ValidationError } from '../../src/core/errors.js';
import {
  DEFAULT_MAX_EVENT_BYTES,
  prepareEvent,
  type Event,
  type EventInput,
} from '../../src/core/event.js';
import type { JsonObject } from '../../src/core/json.js';
import { categoryOf } from '../../src/core/names.js';

/** The options' source slot only: nothing here connects. */
const source: BridgeSource = {
  kind: 'redis',
  description: 'redis fake',
  canPause: true,
  start: () => Promise.resolve(),
  sync: () => Promise.resolve(),
  pause: () => {},
  resume: () => {},
  close: () => Promise.resolve(),
};

function options(overrides: Partial<BridgeOptions> = {}): ResolvedBridgeOptions {
  return resolveBridgeOptions({ name: 'orders-in', source, to: 'orders', ...overrides });
}

const RECEIVED_AT = Date.UTC(2026, 11, 6, 12, 30, 0, 250);

function message(
  bytes: Uint8Array | string,
  channel = 'orders:eu',
  pattern?: string,
): HeardMessage {
  const b = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  return {
    seq: 0,
    channel,
    pattern,
    bytes: b,
    receivedAt: RECEIVED_AT,
    hash: messageHash(channel, b),
  };
}

/** The event as the log would hand it to a handler. */
function stored(input: EventInput): Event {
  return {
    id: input.id ?? '0190a0a0-0000-7000-8000-000000000000',
    stream: input.stream,
    category: categoryOf(input.stream),
    subject: input.subject,
    data: input.data,
    metadata: input.metadata ?? {},
    position: '1',
    version: 0,
    time: new Date(RECEIVED_AT + 5),
  };
}

const bridgeOf = (input: EventInput) =>
  (input.metadata as JsonObject).bridge as unknown as BridgedMetadata;

/** Redis hands a channel over as `Buffer#toString()` of its bytes: short ones and long ones. */
const redisChannel = fc.oneof(
  fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes).toString()),
  fc.uint8Array({ minLength: 140, maxLength: 400 }).map((bytes) => Buffer.from(bytes).toString()),
  fc.string({ unit: fc.constantFrom('a', '.', ':', '\0'), minLength: 140, maxLength: 300 }),
);

describe('bridgedEvent', () => {
  it('keeps UTF-8 text as text', () => {
    const text = '{"order":1,"note":"café 日本 😀"}';
    const input = bridgedEvent(message(text), options());
    expect(input.data).toBe(text);
    expect(bridgeOf(input).encoding).toBe('utf8');
  });

  it('keeps empty bytes as empty text', () => {
    const input = bridgedEvent(message(new Uint8Array(0)), options());
    expect(input.data).toBe('');
    expect(bridgeOf(input).encoding).toBe('utf8');
    expect(bridgedBytes(stored(input))).toHaveLength(0);
  });

  it.each<[string, Uint8Array]>([
    ['invalid UTF-8', Uint8Array.from([0x41, 0xff, 0xfe, 0x42])],
    ['a cut-off sequence', Uint8Array.from([0x68, 0xc3])],
    ['an overlong encoding', Uint8Array.from([0xc0, 0xaf])],
    ['an encoded surrogate', Uint8Array.from([0xed, 0xa0, 0x80])],
    ['a NUL', Buffer.from('a\0b')],
    ['a leading BOM', Buffer.from('\uFEFFhello')],
  ])('sends %s as base64', (_what, bytes) => {
    const input = bridgedEvent(message(bytes), options());
    expect(bridgeOf(input).encoding).toBe('base64');
    expect(input.data).toBe(Buffer.from(bytes).toString('base64'));
    expect(bridgedBytes(stored(input))).toEqual(Buffer.from(bytes));
  });

  it('keeps a BOM that is not leading as text', () => {
    const input = bridgedEvent(message('a\uFEFFb'), options());
    expect(bridgeOf(input).encoding).toBe('utf8');
    expect(bridgedBytes(stored(input))).toEqual(Buffer.from('a\uFEFFb'));
  });

  it('gives back exactly the bytes sent, whatever they are', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      // Mostly valid UTF-8, so that both encodings are exercised.
      fc.string({ unit: 'binary', maxLength: 100 }).map((s) => new TextEncoder().encode(s)),
      fc
        .tuple(
          fc.constantFrom(Uint8Array.from([0xef, 0xbb, 0xbf]), Uint8Array.from([0])),
          fc.string(),
        )
        .map(([prefix, s]) => Buffer.concat([prefix, Buffer.from(s)])),
    );
    const seen = new Set<string>();
    fc.assert(
      fc.property(bytes, (b) => {
        const input = bridgedEvent(message(b), options());
        seen.add(bridgeOf(input).encoding);
        const back = bridgedBytes(stored(input));
        expect(Buffer.compare(back, Buffer.from(b))).toBe(0);
      }),
      { numRuns: 500 },
    );
    expect(seen).toEqual(new Set(['utf8', 'base64']));
  });

  it('turns a channel into a subject: characters a subject cannot hold, and empty tokens, as _', () => {
    expect(subjectOfChannel('orders:eu')).toBe('orders_eu');
    expect(subjectOfChannel('a..b')).toBe('a._.b');
    expect(subjectOfChannel('orders.eu.placed')).toBe('orders.eu.placed');
    expect(subjectOfChannel('.x.')).toBe('_.x._');
    expect(subjectOfChannel('')).toBe('_');
    expect(subjectOfChannel('a b/c*>')).toBe('a_b_c__');
    expect(subjectOfChannel('Kd-9_z')).toBe('Kd-9_z');
    expect(subjectOfChannel('café')).toBe('caf_');
  });

  it('cuts a long channel to a subject of at most 255 characters, never ending on a dot', () => {
    expect(subjectOfChannel('c'.repeat(300))).toBe('c'.repeat(255));
    // "y" then "x." again and again: the 255th character is a dot.
    const channel = `y${'x.'.repeat(200)}`;
    const dotted = subjectOfChannel(channel);
    expect(dotted).toBe(channel.slice(0, 254));
    expect(dotted.endsWith('.')).toBe(false);
  });

  // Each of these, unfixed, made an event the log refuses: the leader sent that batch
  // again and again and the bridge appended nothing more.
  it('makes a stream of at most 200 characters from a long channel and a long category', () => {
    const to = 'o'.repeat(100);
    const input = bridgedEvent(message('x', 'c'.repeat(150)), options({ to, streams: 'channel' }));
    expect(input.stream).toBe(`${to}-${'c'.repeat(99)}`);
    expect(() => prepareEvent(input, DEFAULT_MAX_EVENT_BYTES)).not.toThrow();
    // A short category keeps 150 characters of the channel.
    const short = bridgedEvent(message('x', 'c'.repeat(300)), options({ streams: 'channel' }));
    expect(short.stream).toBe(`orders-${'c'.repeat(150)}`);
  });

  it('stores a channel with NUL in it, with U+FFFD in its place', () => {
    const input = bridgedEvent(message('x', 'orders:\0eu'), options());
    expect(bridgeOf(input).channel).toBe('orders:\uFFFDeu');
    expect(input.subject).toBe('orders__eu');
    expect(() => prepareEvent(input, DEFAULT_MAX_EVENT_BYTES)).not.toThrow();
  });

  it('takes its subject from the channel, unless the options name one', () => {
    expect(bridgedEvent(message('x', 'orders:eu'), options()).subject).toBe('orders_eu');
    const named = options({ subject: 'orders.placed' });
    expect(bridgedEvent(message('x', 'orders:eu'), named).subject).toBe('orders.placed');
  });

  it("streams 'message': each message its own stream, named by its event id", () => {
    const a = bridgedEvent(message('x'), options());
    const b = bridgedEvent(message('x'), options());
    expect(isUuid(a.id)).toBe(true);
    expect(a.stream).toBe(`orders-${a.id}`);
    expect(b.stream).toBe(`orders-${b.id}`);
    expect(a.id).not.toBe(b.id);
  });

  it("streams 'channel': one stream per channel", () => {
    const channel = options({ streams: 'channel' });
    const a = bridgedEvent(message('x', 'orders:eu'), channel);
    const b = bridgedEvent(message('y', 'orders:eu'), channel);
    expect(a.stream).toBe('orders-orders:eu');
    expect(b.stream).toBe(a.stream);
    expect(a.id).not.toBe(b.id);
    expect(bridgedEvent(message('x', 'orders:us'), channel).stream).toBe('orders-orders:us');
    expect(bridgedEvent(message('x', 'a b/c'), channel).stream).toBe('orders-a_b_c');
    expect(bridgedEvent(message('x', ''), channel).stream).toBe('orders-_');
  });

  it('says in metadata.bridge where the message came from', () => {
    const input = bridgedEvent(message('{}', 'orders:eu', 'orders:*'), options());
    expect(input.metadata).toEqual({
      bridge: {
        name: 'orders-in',
        source: 'redis',
        channel: 'orders:eu',
        pattern: 'orders:*',
        receivedAt: '2026-12-06T12:30:00.250Z',
        encoding: 'utf8',
      },
    });
    const direct = bridgedEvent(message('{}', 'orders:eu'), options());
    expect(bridgeOf(direct)).not.toHaveProperty('pattern');
  });

  it('makes an event the log accepts, whatever the channel and bytes', () => {
    const to = fc.constantFrom('o', 'orders', 'o'.repeat(100));
    const streams = fc.constantFrom('message' as const, 'channel' as const);
    fc.assert(
      fc.property(to, streams, redisChannel, fc.uint8Array({ maxLength: 64 }), (t, s, c, b) => {
        const input = bridgedEvent(message(b, c), options({ to: t, streams: s }));
        const prepared = prepareEvent(input, DEFAULT_MAX_EVENT_BYTES);
        expect(prepared.category).toBe(t);
      }),
      { numRuns: 500 },
    );
  });
});

describe('bridgedJson', () => {
  it('parses a message that is JSON', () => {
    const input = bridgedEvent(message('{"id":7,"tags":["a"]}'), options());
    expect(bridgedJson(stored(input))).toEqual({ ok: true, value: { id: 7, tags: ['a'] } });
    expect(bridgedJson(stored(bridgedEvent(message('42'), options())))).toEqual({
      ok: true,
      value: 42,
    });
  });

  it('says why a message is not JSON', () => {
    const result = bridgedJson(stored(bridgedEvent(message('{"id":'), options())));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/^malformed message: /);
    const binary = bridgedJson(stored(bridgedEvent(message(Uint8Array.of(0xff)), options())));
    expect(binary).toEqual({ ok: false, reason: 'malformed message: not UTF-8 text' });
  });
});

describe('an event no bridge wrote', () => {
  const bridged = stored(bridgedEvent(message('{}'), options()));

  it.each<[string, Event]>([
    ['no metadata.bridge', { ...bridged, metadata: {} }],
    ['metadata.bridge not an object', { ...bridged, metadata: { bridge: 'redis' } }],
    ['metadata.bridge null', { ...bridged, metadata: { bridge: null } }],
    [
      'an unknown encoding',
      { ...bridged, metadata: { bridge: { ...bridgeOf(bridged), encoding: 'hex' } } },
    ],
    ['data that is not a string', { ...bridged, data: { id: 1 } }],
  ])('with %s is refused as not_bridged', (_what, event) => {
    for (const read of [bridgedBytes, bridgedJson]) {
      let error: unknown;
      try {
        read(event);
      } catch (thrown) {
        error = thrown;
      }
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).reason).toBe('not_bridged');
      expect((error as ValidationError).message).toContain(event.id);
    }
  });
});
