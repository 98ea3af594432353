/**
 * A bridged message as an event: its bytes kept exactly, as the event's
 * data (a JSON string: the text when the bytes are UTF-8 a database can
 * store, else base64, as `metadata.bridge.encoding` says), with the channel
 * and arrival time in metadata. Nothing is parsed on the way in: a consumer
 * reads the bytes back with `bridgedBytes` or `bridgedJson`, and a message
 * that does not parse goes to the dead letters with its bytes.
 */
import { v7 as uuidv7 } from 'uuid';
import type { Event, EventInput } from '../core/event.js';
import { unstorableText } from '../core/json.js';
import type { JsonValue } from '../core/json.js';
import { ValidationError } from '../core/errors.js';
import type { HeardMessage } from './message-buffer.js';
import type { ResolvedBridgeOptions } from './bridge-options.js';

export type BridgedEncoding = 'utf8' | 'base64';

/** What `metadata.bridge` holds on every bridged event. */
export interface BridgedMetadata {
  /** The bridge's name. */
  readonly name: string;
  /** The source kind: `redis`, `nats`. */
  readonly source: string;
  readonly channel: string;
  readonly pattern?: string;
  /** When the appending leader heard it (ISO 8601). */
  readonly receivedAt: string;
  readonly encoding: BridgedEncoding;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function textOf(bytes: Uint8Array): string | undefined {
  try {
    const text = strictUtf8.decode(bytes);
    // A BOM the decoder strips, or text the database would refuse (NUL), goes as base64.
    if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return undefined;
    return unstorableText(text) === undefined ? text : undefined;
  } catch {
    return undefined;
  }
}

/** Characters a subject token cannot hold become `_`; empty tokens too; at most 255 characters. */
export function subjectOfChannel(channel: string): string {
  return channel
    .split('.')
    .map((token) => token.replace(/[^A-Za-z0-9_-]/g, '_') || '_')
    .join('.')
    .slice(0, 255)
    .replace(/\.$/, '');
}

/** Characters a stream id cannot hold become `_`; `<to>-<id>` holds at most 200 characters. */
function streamIdOfChannel(channel: string, to: string): string {
  const max = Math.min(150, 199 - to.length);
  return channel.replace(/[^A-Za-z0-9_.:@+=-]/g, '_').slice(0, max) || '_';
}

export function bridgedEvent(message: HeardMessage, options: ResolvedBridgeOptions): EventInput {
  const id = uuidv7();
  const text = textOf(message.bytes);
  const bridge: BridgedMetadata = {
    name: options.name,
    source: options.source.kind,
    // NUL cannot be stored: it becomes U+FFFD, as bytes that are not UTF-8 do.
    channel: message.channel.replace(/\0/g, '\uFFFD'),
    ...(message.pattern === undefined ? {} : { pattern: message.pattern }),
    receivedAt: new Date(message.receivedAt).toISOString(),
    encoding: text === undefined ? 'base64' : 'utf8',
  };
  return {
    id,
    stream:
      options.streams === 'message'
        ? `${options.to}-${id}`
        : `${options.to}-${streamIdOfChannel(message.channel, options.to)}`,
    subject: options.subject ?? subjectOfChannel(message.channel),
    data: text ?? Buffer.from(message.bytes).toString('base64'),
    metadata: { bridge: { ...bridge } },
  };
}

function metadataOf(event: Event): BridgedMetadata {
  const bridge = event.metadata.bridge as Partial<BridgedMetadata> | undefined;
  if (
    typeof bridge !== 'object' ||
    bridge === null ||
    (bridge.encoding !== 'utf8' && bridge.encoding !== 'base64') ||
    typeof event.data !== 'string'
  ) {
    throw new ValidationError(`event ${event.id} was not written by a bridge`, {
      reason: 'not_bridged',
    });
  }
  return bridge as BridgedMetadata;
}

/** The message's bytes, exactly as they were sent. */
export function bridgedBytes(event: Event): Buffer {
  const { encoding } = metadataOf(event);
  return encoding === 'utf8'
    ? Buffer.from(event.data as string, 'utf8')
    : Buffer.from(event.data as string, 'base64');
}

/** The message parsed as JSON, or why it is not JSON (return `deadLetter(reason)` then). */
export function bridgedJson(
  event: Event,
):
  | { readonly ok: true; readonly value: JsonValue }
  | { readonly ok: false; readonly reason: string } {
  const { encoding } = metadataOf(event);
  if (encoding !== 'utf8') return { ok: false, reason: 'malformed message: not UTF-8 text' };
  try {
    return { ok: true, value: JSON.parse(event.data as string) as JsonValue };
  } catch (error) {
    return { ok: false, reason: `malformed message: ${(error as Error).message}` };
  }
}
