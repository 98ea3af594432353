/**
 * What a bridge is told: where messages come from, which category they go
 * to, and how it leads, buffers and batches. Validated once, with messages
 * that say what is allowed.
 */
import { ValidationError } from '../core/errors.js';
import { validateCategory } from '../core/names.js';
import { validateSubject } from '../core/subjects.js';
import { clipped, quote } from '../core/quote.js';
import type { BridgeSource } from './sources/source.js';

/** What a full buffer does while the log cannot take its messages. */
export type FullBufferPolicy = 'drop-oldest' | 'block' | 'crash';

/** Which stream a message lands in. */
export type StreamChoice = 'message' | 'channel';

export interface BridgeOptions {
  /**
   * Names the bridge: processes with one name elect one leader and share one
   * fence. A letter or digit, then letters, digits, `_ . -` (at most 64).
   */
  name: string;
  /** Where messages come from: `redisPubSub(...)` or `natsSubjects(...)`. */
  source: BridgeSource;
  /** The category messages land in. */
  to: string;
  /**
   * `message`: each message its own stream (`<to>-<event id>`), so any member
   * may handle any message, in no order (the seed's assumption); `channel`:
   * one stream per channel, in the order the channel delivered them.
   * @defaultValue 'message'
   */
  streams?: StreamChoice;
  /**
   * The events' subject. Default: the channel, with characters a subject
   * cannot hold as `_` (`orders:eu` -> `orders_eu`).
   */
  subject?: string;
  /** A leader silent this long is replaced. @defaultValue 2000 */
  leaseMs?: number;
  /** How often standbys try for the lease. @defaultValue leaseMs / 10 */
  campaignIntervalMs?: number;
  /** The most messages in one append. @defaultValue 1000 */
  maxBatch?: number;
  /** Memory held for messages, appended or not, in bytes. @defaultValue 64 MiB */
  bufferBytes?: number;
  /**
   * How long a message is kept once appended (by a leader) or heard (by a
   * standby): what a new leader can append that its predecessor may not
   * have. @defaultValue 30000
   */
  keepMs?: number;
  /**
   * When messages the log has not taken fill the buffer: drop the oldest and
   * count them, stop reading the source (it buffers, then may cut the
   * bridge off), or stop the bridge with an error. @defaultValue 'drop-oldest'
   */
  whenFull?: FullBufferPolicy;
  /** First and largest wait between tries of a failed append. @defaultValue 50, 2000 */
  retryMs?: { first: number; max: number };
}

export interface ResolvedBridgeOptions {
  readonly name: string;
  readonly source: BridgeSource;
  readonly to: string;
  readonly streams: StreamChoice;
  readonly subject: string | undefined;
  readonly leaseMs: number;
  readonly campaignIntervalMs: number;
  readonly maxBatch: number;
  readonly bufferBytes: number;
  readonly keepMs: number;
  readonly whenFull: FullBufferPolicy;
  readonly retryMs: { readonly first: number; readonly max: number };
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

function invalid(option: string, message: string, value: unknown): never {
  throw new ValidationError(`invalid bridge ${option} ${quote(value)}: ${message}`, {
    reason: 'invalid_option',
    details: { option, value: clipped(value) },
  });
}

function integer(option: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    return invalid(option, `expected an integer from ${min} to ${max}`, value);
  }
  return value;
}

export function validateBridgeName(value: unknown): string {
  if (typeof value !== 'string' || !NAME.test(value)) {
    return invalid(
      'name',
      'use a letter or digit, then letters, digits, "_", "." or "-" (at most 64)',
      value,
    );
  }
  return value;
}

export function resolveBridgeOptions(options: BridgeOptions): ResolvedBridgeOptions {
  const name = validateBridgeName(options.name);
  const to = validateCategory(options.to);
  const streams = options.streams ?? 'message';
  if (streams !== 'message' && streams !== 'channel') {
    invalid('streams', 'use "message" or "channel"', streams);
  }
  const subject = options.subject === undefined ? undefined : validateSubject(options.subject);
  const leaseMs = integer('leaseMs', options.leaseMs ?? 2000, 100, 600_000);
  const campaignIntervalMs = integer(
    'campaignIntervalMs',
    options.campaignIntervalMs ?? Math.max(10, Math.floor(leaseMs / 10)),
    10,
    leaseMs,
  );
  const whenFull = options.whenFull ?? 'drop-oldest';
  if (!['drop-oldest', 'block', 'crash'].includes(whenFull)) {
    invalid('whenFull', 'use "drop-oldest", "block" or "crash"', whenFull);
  }
  if (whenFull === 'block' && !options.source.canPause) {
    invalid(
      'whenFull',
      `a ${options.source.kind} source cannot be paused: use "drop-oldest" or "crash"`,
      whenFull,
    );
  }
  const first = integer('retryMs.first', options.retryMs?.first ?? 50, 1, 60_000);
  const max = integer('retryMs.max', options.retryMs?.max ?? 2000, first, 600_000);
  return {
    name,
    source: options.source,
    to,
    streams,
    subject,
    leaseMs,
    campaignIntervalMs,
    maxBatch: integer('maxBatch', options.maxBatch ?? 1000, 1, 10_000),
    bufferBytes: integer('bufferBytes', options.bufferBytes ?? 64 * 1024 * 1024, 1024, 2 ** 40),
    keepMs: integer('keepMs', options.keepMs ?? 30_000, 0, 86_400_000),
    whenFull,
    retryMs: { first, max },
  };
}
