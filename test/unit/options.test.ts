import { describe, expect, it } from 'vitest';
import type { ProviderCapabilities } from '../../src/core/contracts/provider.js';
import { resolveConsumerOptions, type ConsumerOptions } from '../../src/core/consumer/options.js';
import { ValidationError } from '../../src/core/errors.js';
import { MEMORY_CAPABILITIES } from '../../src/testing.js';

const handler = () => undefined;
const base: ConsumerOptions = { name: 'send-email', sequence: { category: 'order' }, handler };

function resolve(overrides: Record<string, unknown>, capabilities = MEMORY_CAPABILITIES) {
  const options: unknown = { ...base, ...overrides };
  return resolveConsumerOptions(options as ConsumerOptions, capabilities);
}

function failure(overrides: Record<string, unknown>, capabilities = MEMORY_CAPABILITIES) {
  try {
    resolve(overrides, capabilities);
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(overrides)} to be rejected`);
}

describe('resolveConsumerOptions', () => {
  it('fills in the documented defaults', () => {
    expect(resolve({})).toEqual({
      name: 'send-email',
      sequence: { kind: 'category', category: 'order' },
      handler,
      subjects: [],
      partitions: 8,
      startFrom: { kind: 'beginning' },
      batchSize: 500,
      pollIntervalMs: 1000,
      commitEveryEvents: 1000,
      commitIntervalMs: 1000,
      stopTimeoutMs: 30_000,
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 250,
      ordering: 'stream',
      delivery: 'at-least-once',
      concurrency: 16,
      ackTimeoutMs: 300_000,
      maxAttempts: 10,
      retry: { type: 'exponential', baseMs: 100, capMs: 30_000 },
    });
  });

  it('caps concurrency at the partition count under partition ordering only', () => {
    expect(resolve({ partitions: 4, concurrency: 2, ordering: 'partition' }).concurrency).toBe(2);
    expect(resolve({ partitions: 4, concurrency: 64, ordering: 'partition' }).concurrency).toBe(4);
    expect(resolve({ partitions: 4, concurrency: 64 }).concurrency).toBe(64);
    expect(resolve({ partitions: 4, ordering: 'none' }).concurrency).toBe(16);
  });

  it('reads every sequence form', () => {
    expect(resolve({ sequence: 'log' }).sequence).toEqual({ kind: 'log' });
    expect(resolve({ sequence: { kind: 'log' } }).sequence).toEqual({ kind: 'log' });
    expect(resolve({ sequence: { stream: 'order-1' } }).sequence).toEqual({
      kind: 'stream',
      stream: 'order-1',
    });
  });

  it('sorts subjects and drops duplicates, so the registry sees one form', () => {
    expect(resolve({ subjects: ['order.>', 'a.*', 'order.>'] }).subjects).toEqual([
      'a.*',
      'order.>',
    ]);
  });

  it('reads startFrom in every form', () => {
    const time = new Date('2024-01-01T00:00:00Z');
    expect(resolve({ startFrom: 'end' }).startFrom).toEqual({ kind: 'end' });
    expect(resolve({ startFrom: { position: '42' } }).startFrom).toEqual({
      kind: 'position',
      position: '42',
    });
    expect(resolve({ startFrom: { time } }).startFrom).toEqual({ kind: 'time', time });
  });

  it('reads both retry policies, with defaults for missing fields', () => {
    expect(resolve({ retry: { type: 'fixed', delayMs: 5 } }).retry).toEqual({
      type: 'fixed',
      delayMs: 5,
    });
    expect(resolve({ retry: { type: 'fixed' } }).retry).toEqual({ type: 'fixed', delayMs: 1000 });
    expect(resolve({ retry: { type: 'exponential', baseMs: 10 } }).retry).toEqual({
      type: 'exponential',
      baseMs: 10,
      capMs: 30_000,
    });
  });

  it('gives a stream sequence one partition, and only one', () => {
    expect(resolve({ sequence: { stream: 'order-1' } }).partitions).toBe(1);
    expect(resolve({ sequence: { stream: 'order-1' }, partitions: 1 }).partitions).toBe(1);
    expect(failure({ sequence: { stream: 'order-1' }, partitions: 2 }).message).toMatch(
      /partitions must be an integer from 1 to 1/,
    );
  });

  it.each([
    ['name', { name: 'a b' }, /consumer name/],
    ['name', { name: undefined }, /consumer name/],
    ['sequence', { sequence: 'everything' }, /event sequence/],
    ['sequence', { sequence: { category: 'a', stream: 'a-1' } }, /event sequence/],
    ['sequence', { sequence: { category: '1x' } }, /category/],
    ['handler', { handler: 'send' }, /handler must be a function/],
    ['subjects', { subjects: 'order.*' }, /subjects must be an array/],
    ['subjects', { subjects: ['order.>.x'] }, /subject pattern/],
    ['partitions', { partitions: 0 }, /partitions must be an integer from 1 to 1024/],
    ['partitions', { partitions: 1025 }, /partitions/],
    ['partitions', { partitions: 1.5 }, /partitions/],
    ['partitions', { partitions: '2' }, /partitions/],
    ['concurrency', { concurrency: 0 }, /concurrency must be an integer from 1/],
    ['concurrency', { concurrency: 2.5 }, /concurrency/],
    ['ordering', { ordering: 'random' }, /ordering must be one of stream, partition, none/],
    ['ackTimeoutMs', { ackTimeoutMs: -1 }, /ackTimeoutMs/],
    ['startFrom', { startFrom: 'middle' }, /startFrom/],
    ['startFrom', { startFrom: { position: '-1' } }, /position/],
    ['startFrom', { startFrom: { time: new Date('nonsense') } }, /startFrom/],
    ['startFrom', { startFrom: { time: 'yesterday' } }, /startFrom/],
    ['batchSize', { batchSize: 0 }, /batchSize must be an integer from 1 to 10000/],
    ['batchSize', { batchSize: 10_001 }, /batchSize/],
    ['pollIntervalMs', { pollIntervalMs: 0 }, /pollIntervalMs/],
    ['commitEveryEvents', { commitEveryEvents: 0 }, /commitEveryEvents/],
    ['commitIntervalMs', { commitIntervalMs: -1 }, /commitIntervalMs/],
    ['stopTimeoutMs', { stopTimeoutMs: -1 }, /stopTimeoutMs/],
    ['stopTimeoutMs', { stopTimeoutMs: NaN }, /stopTimeoutMs/],
    ['maxAttempts', { maxAttempts: 0 }, /maxAttempts/],
    ['retry', { retry: { type: 'linear' } }, /retry must be/],
    ['retry', { retry: 'exponential' }, /retry must be/],
    ['retry.delayMs', { retry: { type: 'fixed', delayMs: -1 } }, /retry\.delayMs/],
    ['retry.baseMs', { retry: { type: 'exponential', baseMs: 0 } }, /retry\.baseMs/],
    [
      'retry.capMs',
      { retry: { type: 'exponential', baseMs: 100, capMs: 50 } },
      /retry\.capMs must be an integer from 100/,
    ],
  ])('rejects a bad %s, naming it', (_, overrides, message) => {
    const error = failure(overrides);
    expect(error.message).toMatch(message);
    expect(error.code).toBe('validation');
  });

  it('names the option in the error details', () => {
    expect(failure({ batchSize: -5 }).details).toEqual({ option: 'batchSize' });
    expect(failure({ retry: { type: 'fixed', delayMs: 1.5 } }).details).toEqual({
      option: 'retry.delayMs',
    });
    expect(failure({ startFrom: 'later' }).details).toEqual({ option: 'startFrom' });
  });

  it('rejects options that are not an object', () => {
    expect(() =>
      resolveConsumerOptions(null as unknown as ConsumerOptions, MEMORY_CAPABILITIES),
    ).toThrow(/consumer options must be an object/);
  });

  it('allows effectively-once only where handlers can run in a transaction, with partition ordering', () => {
    const transactional = { ...MEMORY_CAPABILITIES, transactionalHandling: true };
    expect(
      resolve({ delivery: 'effectively-once', ordering: 'partition' }, transactional).delivery,
    ).toBe('effectively-once');
    expect(failure({ delivery: 'effectively-once', ordering: 'partition' }).message).toMatch(
      /inside a transaction/,
    );
    expect(failure({ delivery: 'effectively-once' }, transactional).message).toMatch(
      /ordering: 'partition'/,
    );
    expect(failure({ delivery: 'exactly' }).message).toMatch(/delivery must be one of/);
    // At most once: a failure is not tried again.
    expect(resolve({ delivery: 'at-most-once', maxAttempts: 5 }).maxAttempts).toBe(1);
  });

  it('holds the provider to its capabilities', () => {
    const narrow: ProviderCapabilities = {
      ...MEMORY_CAPABILITIES,
      sequences: ['log', 'category'],
      maxPartitions: 16,
    };
    expect(failure({ sequence: { stream: 'order-1' } }, narrow).message).toMatch(
      /cannot read a stream sequence \(it reads: log, category\)/,
    );
    expect(failure({ partitions: 17 }, narrow).message).toMatch(/from 1 to 16/);
    expect(resolve({ partitions: 16 }, narrow).partitions).toBe(16);
  });
});

describe('membership timing', () => {
  it('heartbeats every 250 ms, a third of a shorter session timeout, and refuses one too slow for it', () => {
    const base = { name: 'c', sequence: 'log' as const, handler: () => undefined };
    expect(
      resolveConsumerOptions({ ...base, sessionTimeoutMs: 2000 }, MEMORY_CAPABILITIES),
    ).toMatchObject({ sessionTimeoutMs: 2000, heartbeatIntervalMs: 250 });
    expect(
      resolveConsumerOptions({ ...base, sessionTimeoutMs: 600 }, MEMORY_CAPABILITIES),
    ).toMatchObject({ sessionTimeoutMs: 600, heartbeatIntervalMs: 200 });
    expect(() =>
      resolveConsumerOptions(
        { ...base, sessionTimeoutMs: 2000, heartbeatIntervalMs: 1500 },
        MEMORY_CAPABILITIES,
      ),
    ).toThrow(/at most half of sessionTimeoutMs/);
    expect(() =>
      resolveConsumerOptions({ ...base, sessionTimeoutMs: 100 }, MEMORY_CAPABILITIES),
    ).toThrow(/sessionTimeoutMs/);
  });
});
