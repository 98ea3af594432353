import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { resolveBridgeOptions, type BridgeOptions } from '../../src/bridge/bridge-options.js';
import type { BridgeSource } from '../../src/bridge/sources/source.js';

/** The options' source slot only: nothing here connects. */
function fakeSource(kind: string, canPause: boolean): BridgeSource {
  return {
    kind,
    description: `${kind} fake`,
    canPause,
    start: () => Promise.resolve(),
    sync: () => Promise.resolve(),
    pause: () => {},
    resume: () => {},
    close: () => Promise.resolve(),
  };
}

const redis = fakeSource('redis', true);
const nats = fakeSource('nats', false);

function options(overrides: Partial<Record<keyof BridgeOptions, unknown>> = {}): BridgeOptions {
  return { name: 'orders-in', source: redis, to: 'orders', ...overrides } as BridgeOptions;
}

/** The error resolving `given` throws (fails the test if it resolves). */
function refusal(given: BridgeOptions): ValidationError {
  try {
    resolveBridgeOptions(given);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return error as ValidationError;
  }
  throw new Error(`resolved ${JSON.stringify({ ...given, source: undefined })}`);
}

describe('resolveBridgeOptions', () => {
  it('fills in the documented defaults', () => {
    const resolved = resolveBridgeOptions(options());
    expect(resolved).toEqual({
      name: 'orders-in',
      source: redis,
      to: 'orders',
      streams: 'message',
      subject: undefined,
      leaseMs: 2000,
      campaignIntervalMs: 200,
      maxBatch: 1000,
      bufferBytes: 64 * 1024 * 1024,
      keepMs: 30_000,
      whenFull: 'drop-oldest',
      retryMs: { first: 50, max: 2000 },
    });
  });

  it('keeps what it is given, and derives the campaign interval from the lease', () => {
    const resolved = resolveBridgeOptions(
      options({
        streams: 'channel',
        subject: 'orders.placed',
        leaseMs: 5000,
        maxBatch: 1,
        bufferBytes: 1024,
        keepMs: 0,
        whenFull: 'crash',
        retryMs: { first: 10, max: 10 },
      }),
    );
    expect(resolved).toMatchObject({
      streams: 'channel',
      subject: 'orders.placed',
      leaseMs: 5000,
      campaignIntervalMs: 500,
      maxBatch: 1,
      bufferBytes: 1024,
      keepMs: 0,
      whenFull: 'crash',
      retryMs: { first: 10, max: 10 },
    });
  });

  it('never campaigns more often than every 10 ms', () => {
    expect(resolveBridgeOptions(options({ leaseMs: 100 })).campaignIntervalMs).toBe(10);
  });

  it("accepts 'block' from a source that can pause", () => {
    expect(resolveBridgeOptions(options({ whenFull: 'block' })).whenFull).toBe('block');
  });

  it.each<[string, Partial<Record<keyof BridgeOptions, unknown>>]>([
    ['an empty name', { name: '' }],
    ['a name starting with "-"', { name: '-orders' }],
    ['a name with a space', { name: 'orders in' }],
    ['a name of 65 characters', { name: 'a'.repeat(65) }],
    ['a name that is not a string', { name: 7 }],
    ['leaseMs below 100', { leaseMs: 99 }],
    ['leaseMs above 600000', { leaseMs: 600_001 }],
    ['leaseMs not an integer', { leaseMs: 150.5 }],
    ['leaseMs as a string', { leaseMs: '2000' }],
    ['campaignIntervalMs above leaseMs', { leaseMs: 1000, campaignIntervalMs: 1001 }],
    ['campaignIntervalMs below 10', { campaignIntervalMs: 9 }],
    ['maxBatch 0', { maxBatch: 0 }],
    ['maxBatch above 10000', { maxBatch: 10_001 }],
    ['bufferBytes below 1024', { bufferBytes: 1023 }],
    ['negative keepMs', { keepMs: -1 }],
    ['keepMs above a day', { keepMs: 86_400_001 }],
    ['an unknown whenFull', { whenFull: 'wait' }],
    ['an unknown streams', { streams: 'subject' }],
    ['retryMs.max below retryMs.first', { retryMs: { first: 100, max: 99 } }],
    ['retryMs.first 0', { retryMs: { first: 0, max: 10 } }],
  ])('refuses %s as an invalid option', (_what, overrides) => {
    const error = refusal(options(overrides));
    expect(error.reason).toBe('invalid_option');
    expect(error.details?.option).toBeTypeOf('string');
  });

  it('names the option it refuses', () => {
    expect(refusal(options({ leaseMs: 99 })).details?.option).toBe('leaseMs');
    expect(refusal(options({ whenFull: 'wait' })).details?.option).toBe('whenFull');
    expect(refusal(options({ streams: 'subject' })).details?.option).toBe('streams');
    expect(refusal(options({ name: 'a b' })).details?.option).toBe('name');
  });

  it("refuses 'block' on a source that cannot pause, and says what to use", () => {
    const error = refusal(options({ source: nats, whenFull: 'block' }));
    expect(error.reason).toBe('invalid_option');
    expect(error.details?.option).toBe('whenFull');
    expect(error.message).toContain('nats source cannot be paused');
    // The other policies are fine on it.
    expect(resolveBridgeOptions(options({ source: nats, whenFull: 'crash' })).whenFull).toBe(
      'crash',
    );
    expect(resolveBridgeOptions(options({ source: nats })).whenFull).toBe('drop-oldest');
  });

  // The category and subject rules are the log's own, and say so in their reason.
  it.each(['', '1orders', 'orders-in', 'orders.in', 'a'.repeat(101)])(
    'refuses the category %j',
    (to) => {
      const error = refusal(options({ to }));
      expect(error.reason).toBe('invalid_category');
    },
  );

  it.each(['', 'orders.', 'orders..placed', 'orders.*', 'orders placed', 'x'.repeat(256)])(
    'refuses the subject %j',
    (subject) => {
      const error = refusal(options({ subject }));
      expect(error.reason).toBe('invalid_subject');
    },
  );
});
