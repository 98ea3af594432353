/**
 * What the bridge benchmark's processes say to each other over IPC, and the
 * messages the publisher sends: small JSON that carries a sequence number
 * and the time it was published on the machine's monotonic clock, which
 * every process reads alike (see machineMs in ../peers/tally.ts).
 */
import type { LogPlace } from './places.js';

export { machineMs } from '../peers/tally.js';

export interface BridgeArguments {
  readonly place: LogPlace;
  readonly channel: string;
  readonly name: string;
  readonly category: string;
  readonly leaseMs: number;
  /** Report the sequence numbers heard (kill trials); else only counts. */
  readonly track: boolean;
}

export interface BridgeReport {
  readonly role: 'leader' | 'standby' | 'stopped';
  readonly received: number;
  readonly appended: number;
  readonly dropped: number;
  readonly unappended: number;
  readonly takeovers: number;
  readonly unaligned: number;
  /** When this process last saw an `appended` signal (machineMs; 0: never). */
  readonly lastAppendedAt: number;
  /** Times the Pub/Sub connection was lost (Redis cuts a subscriber that falls behind). */
  readonly sourceDowns: number;
}

export type BridgeSignal = 'leading' | 'takeover' | 'standby' | 'first-append';

export type ToBridge = { type: 'stop' };
export type FromBridge =
  | { type: 'ready'; pid: number }
  | {
      type: 'status';
      status: BridgeReport;
      /** Sequence numbers heard since the last report, as [first, last] ranges. */
      heard: [number, number][];
    }
  | {
      type: 'signal';
      signal: BridgeSignal;
      at: number;
      takeover?: { resumed: number; deduplicated: number; aligned: boolean };
    }
  | { type: 'stopped' }
  | { type: 'failed'; message: string };

export interface PublisherArguments {
  readonly url: string;
  readonly channel: string;
}

/** `rate` 0: as fast as one pipeline of 1000 after another goes; `count` null: until `stop`. */
export type ToPublisher =
  | { type: 'send'; from: number; count: number | null; rate: number }
  | { type: 'stop' }
  | { type: 'exit' };
export type FromPublisher =
  | { type: 'ready' }
  | { type: 'progress'; next: number; at: number }
  | { type: 'sent'; from: number; published: number; next: number; firstAt: number; lastAt: number }
  | { type: 'failed'; message: string };

const PAD = 'x'.repeat(100);
/** The published message's size, in bytes, about. */
export const MESSAGE_BYTES = 100;

/** `{"n":<n>,"t":<machineMs>,"p":"xxx…"}`, padded to about 100 bytes. */
export function messageText(n: number, sentAt: number): string {
  const head = `{"n":${n},"t":${sentAt.toFixed(3)},"p":"`;
  return `${head}${PAD.slice(0, Math.max(0, MESSAGE_BYTES - 2 - head.length))}"}`;
}

const HEAD = '{"n":'.length;

/** A message's sequence number, read from its bytes without parsing the JSON (-1: none). */
export function sequenceOf(bytes: Uint8Array): number {
  let n = 0;
  let i = HEAD;
  for (; i < bytes.length; i += 1) {
    const c = bytes[i] as number;
    if (c < 48 || c > 57) break;
    n = n * 10 + (c - 48);
  }
  return i === HEAD ? -1 : n;
}

/** A message's sequence number and publish time. */
export function parseMessage(bytes: Uint8Array): { n: number; t: number } {
  return JSON.parse(Buffer.from(bytes).toString('utf8')) as { n: number; t: number };
}
