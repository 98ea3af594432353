import type { ProviderCapabilities } from '../contracts/provider.js';
import type { StartFrom } from '../contracts/registry.js';
import { ValidationError } from '../errors.js';
import type { JsonValue } from '../json.js';
import type { Logger } from '../logger.js';
import { validateConsumerName } from '../names.js';
import { validatePosition } from '../position.js';
import { toSequence, type EventSequence, type SequenceInput } from '../sequence.js';
import { validateSubjectPattern } from '../subjects.js';
import { DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js';
import { ORDERINGS, type Ordering } from './delivery-window.js';
import type { Handler } from './handler.js';

export type Delivery = 'at-least-once' | 'at-most-once' | 'effectively-once';

export const DELIVERIES: readonly Delivery[] = [
  'at-least-once',
  'at-most-once',
  'effectively-once',
];

export type StartFromInput = 'beginning' | 'end' | { position: string } | { time: Date };

/**
 * Heartbeats are one small write each; four a second per member keeps a
 * killed member's lease (three of them) under a second.
 */
const DEFAULT_HEARTBEAT_MS = 250;

export interface ConsumerOptions<Data = JsonValue, Transaction = unknown> {
  /** Names a kind of work. Members (processes) running the same name compete for its partitions. */
  name: string;
  /** What to read: `'log'`, `{ category: 'order' }` or `{ stream: 'order-1' }`. */
  sequence: SequenceInput;
  handler: Handler<Data, Transaction>;
  /** Subject patterns (`order.*`, `order.>`). @defaultValue every subject */
  subjects?: string[];
  /**
   * Partitions of the sequence, by a hash of the stream name: the most
   * members that can work at once. A stream sequence has one.
   * @defaultValue 8
   */
  partitions?: number;
  /** Where a consumer seen for the first time starts. @defaultValue 'beginning' */
  startFrom?: StartFromInput;
  /** Events read per query. @defaultValue 500 */
  batchSize?: number;
  /**
   * How often an idle partition looks for events. Publishes wake consumers at
   * once where the provider supports it, so this only bounds the delay when a
   * wake-up is lost. @defaultValue 1000
   */
  pollIntervalMs?: number;
  /** Commit positions once this many events were handled since the last commit... @defaultValue 1000 */
  commitEveryEvents?: number;
  /** ...or this long after the first event handled since the last commit. @defaultValue 1000 */
  commitIntervalMs?: number;
  /** How long `stop()` waits for running handlers before aborting their signal. @defaultValue 30000 */
  stopTimeoutMs?: number;
  /**
   * A member silent this long is dead: its partitions go to the others.
   * Where the database can see the member's session end (PostgreSQL without a
   * transaction pooler), a killed process is noticed sooner: when its lease
   * ends, three heartbeats after its last one. @defaultValue 10000
   */
  sessionTimeoutMs?: number;
  /**
   * How often a member says it is alive. Each heartbeat renews the member's
   * lease for three intervals (at most the session timeout); it starts work
   * only while its lease runs, so a killed member's partitions move on about
   * three intervals after its last heartbeat.
   * @defaultValue 250, or a third of sessionTimeoutMs if that is less
   */
  heartbeatIntervalMs?: number;
  /**
   * What may run side by side: `stream` (one event at a time per stream, in
   * version order; a retrying event holds back only its own stream),
   * `partition` (one at a time per partition, in order) or `none` (anything;
   * a retrying event holds back nothing). @defaultValue 'stream'
   */
  ordering?: Ordering;
  /**
   * `at-least-once`: the position moves past an event once it is handled; a
   * crash may bring it again. `at-most-once`: the position moves past a page
   * before its events are handled and a failure is not retried; a crash may
   * lose them. `effectively-once` (PostgreSQL): the handler writes through
   * `context.transaction`, the transaction that stores its position, so its
   * writes count once; needs `ordering: 'partition'`. @defaultValue 'at-least-once'
   */
  delivery?: Delivery;
  /**
   * Handlers this member runs at once across the partitions it owns. Set it
   * to what one process should do at once, such as the size of the pool its
   * handlers use: more members then do more work. With `partition` ordering
   * a partition runs one at a time, so more than `partitions` adds nothing.
   * @defaultValue 16
   */
  concurrency?: number;
  /**
   * A handler running longer than this fails its attempt: its `signal`
   * aborts and the event gets its next attempt (0: never). @defaultValue 300000
   */
  ackTimeoutMs?: number;
  /** Attempts an event gets; stored in the consumer registry. @defaultValue 10 */
  maxAttempts?: number;
  /** Delay between attempts of a failing handler. @defaultValue exponential, 100 ms to 30 s */
  retry?: BackoffPolicy;
  logger?: Logger;
}

export interface ResolvedConsumerOptions<Data = JsonValue> {
  readonly name: string;
  readonly sequence: EventSequence;
  readonly handler: Handler<Data>;
  readonly subjects: readonly string[];
  readonly partitions: number;
  readonly startFrom: StartFrom;
  readonly batchSize: number;
  readonly pollIntervalMs: number;
  readonly commitEveryEvents: number;
  readonly commitIntervalMs: number;
  readonly stopTimeoutMs: number;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly ordering: Ordering;
  readonly delivery: Delivery;
  /** With `partition` ordering, at most `partitions`. */
  readonly concurrency: number;
  readonly ackTimeoutMs: number;
  readonly maxAttempts: number;
  readonly retry: BackoffPolicy;
}

function integer(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ValidationError(
      `consumer option ${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`,
      { reason: 'invalid_option', details: { option: name } },
    );
  }
  return value;
}

export function resolveStartFrom(input: unknown): StartFrom {
  if (input === undefined || input === 'beginning') return { kind: 'beginning' };
  if (input === 'end') return { kind: 'end' };
  if (typeof input === 'object' && input !== null) {
    if ('position' in input)
      return { kind: 'position', position: validatePosition(input.position) };
    if ('time' in input && input.time instanceof Date && !Number.isNaN(input.time.getTime())) {
      return { kind: 'time', time: input.time };
    }
  }
  throw new ValidationError(
    `consumer option startFrom must be 'beginning', 'end', { position } or { time: Date }, got ${JSON.stringify(input)}`,
    { reason: 'invalid_option', details: { option: 'startFrom' } },
  );
}

function resolveBackoff(input: unknown): BackoffPolicy {
  if (input === undefined) return DEFAULT_BACKOFF;
  const policy = input as Partial<BackoffPolicy> & Record<string, unknown>;
  if (policy.type === 'fixed') {
    return {
      type: 'fixed',
      delayMs: integer('retry.delayMs', policy.delayMs, 1000, 0, 86_400_000),
    };
  }
  if (policy.type === 'exponential') {
    const baseMs = integer('retry.baseMs', policy.baseMs, 100, 1, 86_400_000);
    const capMs = integer('retry.capMs', policy.capMs, 30_000, baseMs, 86_400_000);
    return { type: 'exponential', baseMs, capMs };
  }
  throw new ValidationError(
    "consumer option retry must be { type: 'exponential', baseMs, capMs } or { type: 'fixed', delayMs }",
    { reason: 'invalid_option', details: { option: 'retry' } },
  );
}

/** Validates once, at construction, with messages that say what to change. */
export function resolveConsumerOptions<Data>(
  options: ConsumerOptions<Data>,
  capabilities: ProviderCapabilities,
): ResolvedConsumerOptions<Data> {
  if (typeof options !== 'object' || options === null) {
    throw new ValidationError('consumer options must be an object', { reason: 'invalid_option' });
  }
  const name = validateConsumerName(options.name);
  const sequence = toSequence(options.sequence);
  if (!capabilities.sequences.includes(sequence.kind)) {
    throw new ValidationError(
      `this provider cannot read a ${sequence.kind} sequence (it reads: ${capabilities.sequences.join(', ')})`,
      { reason: 'invalid_option', details: { option: 'sequence' } },
    );
  }
  if (typeof options.handler !== 'function') {
    throw new ValidationError(
      'consumer option handler must be a function (event, context) => ...',
      {
        reason: 'invalid_option',
        details: { option: 'handler' },
      },
    );
  }
  const subjects = options.subjects ?? [];
  if (!Array.isArray(subjects)) {
    throw new ValidationError('consumer option subjects must be an array of subject patterns', {
      reason: 'invalid_option',
      details: { option: 'subjects' },
    });
  }
  subjects.forEach(validateSubjectPattern);
  const partitions =
    sequence.kind === 'stream'
      ? integer('partitions', options.partitions, 1, 1, 1)
      : integer('partitions', options.partitions, 8, 1, capabilities.maxPartitions);
  const commitIntervalMs = integer(
    'commitIntervalMs',
    options.commitIntervalMs,
    1000,
    0,
    3_600_000,
  );
  const sessionTimeoutMs = integer(
    'sessionTimeoutMs',
    options.sessionTimeoutMs,
    10_000,
    500,
    3_600_000,
  );
  const heartbeatIntervalMs = integer(
    'heartbeatIntervalMs',
    options.heartbeatIntervalMs,
    Math.min(DEFAULT_HEARTBEAT_MS, Math.floor(sessionTimeoutMs / 3)),
    50,
    3_600_000,
  );
  if (heartbeatIntervalMs * 2 > sessionTimeoutMs) {
    throw new ValidationError(
      `heartbeatIntervalMs (${heartbeatIntervalMs}) must be at most half of sessionTimeoutMs (${sessionTimeoutMs}); a third is recommended, so one lost heartbeat does not end a member`,
      { reason: 'invalid_option', details: { option: 'heartbeatIntervalMs' } },
    );
  }
  const ordering = options.ordering ?? 'stream';
  if (!ORDERINGS.includes(ordering)) {
    throw new ValidationError(
      `consumer option ordering must be one of ${ORDERINGS.join(', ')}, got ${JSON.stringify(ordering)}`,
      { reason: 'invalid_option', details: { option: 'ordering' } },
    );
  }
  const delivery = options.delivery ?? 'at-least-once';
  if (!DELIVERIES.includes(delivery)) {
    throw new ValidationError(
      `consumer option delivery must be one of ${DELIVERIES.join(', ')}, got ${JSON.stringify(delivery)}`,
      { reason: 'invalid_option', details: { option: 'delivery' } },
    );
  }
  if (delivery === 'effectively-once' && !capabilities.transactionalHandling) {
    throw new ValidationError(
      'effectively-once delivery needs a provider that can handle inside a transaction (PostgreSQL or PGlite)',
      { reason: 'invalid_option', details: { option: 'delivery' } },
    );
  }
  if (delivery === 'effectively-once' && ordering !== 'partition') {
    throw new ValidationError(
      "effectively-once delivery needs ordering: 'partition': each handler's transaction stores its event's position, so events must finish in order",
      { reason: 'invalid_option', details: { option: 'delivery' } },
    );
  }
  return {
    name,
    sequence,
    handler: options.handler,
    subjects: [...new Set(subjects)].sort(),
    partitions,
    startFrom: resolveStartFrom(options.startFrom),
    batchSize: integer('batchSize', options.batchSize, 500, 1, 10_000),
    pollIntervalMs: integer('pollIntervalMs', options.pollIntervalMs, 1000, 1, 3_600_000),
    commitEveryEvents: integer('commitEveryEvents', options.commitEveryEvents, 1000, 1, 1_000_000),
    commitIntervalMs,
    stopTimeoutMs: integer('stopTimeoutMs', options.stopTimeoutMs, 30_000, 0, 3_600_000),
    sessionTimeoutMs,
    heartbeatIntervalMs,
    ordering,
    delivery,
    concurrency:
      ordering === 'partition'
        ? Math.min(partitions, integer('concurrency', options.concurrency, 16, 1, 100_000))
        : integer('concurrency', options.concurrency, 16, 1, 100_000),
    ackTimeoutMs: integer('ackTimeoutMs', options.ackTimeoutMs, 300_000, 0, 86_400_000),
    // At most once: a failed event is not tried again.
    maxAttempts:
      delivery === 'at-most-once'
        ? 1
        : integer('maxAttempts', options.maxAttempts, 10, 1, 1_000_000),
    retry: resolveBackoff(options.retry),
  };
}
