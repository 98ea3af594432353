/**
 * An event sequence is what a consumer reads: the whole log, one category,
 * or one stream.
 */
import { ValidationError } from './errors.js';
import { validateCategory, validateStream } from './names.js';
import { quote } from './quote.js';

export type EventSequence =
  | { readonly kind: 'log' }
  | { readonly kind: 'category'; readonly category: string }
  | { readonly kind: 'stream'; readonly stream: string };

export type SequenceKind = EventSequence['kind'];

/** How callers name a sequence: `'log'`, `{ category: 'order' }` or `{ stream: 'order-1' }`. */
export type SequenceInput = 'log' | { category: string } | { stream: string } | EventSequence;

export function toSequence(input: unknown): EventSequence {
  if (input === 'log') return { kind: 'log' };
  if (typeof input === 'object' && input !== null) {
    const value = input as Record<string, unknown>;
    if (value.kind === 'log') return { kind: 'log' };
    if ('category' in value && !('stream' in value)) {
      return { kind: 'category', category: validateCategory(value.category) };
    }
    if ('stream' in value && !('category' in value)) {
      return { kind: 'stream', stream: validateStream(value.stream) };
    }
  }
  throw new ValidationError(
    `invalid event sequence ${quote(input)}: use "log", { category: "order" } or { stream: "order-123" }`,
    { reason: 'invalid_sequence' },
  );
}

export function describeSequence(sequence: EventSequence): string {
  switch (sequence.kind) {
    case 'log':
      return 'log';
    case 'category':
      return `category:${sequence.category}`;
    case 'stream':
      return `stream:${sequence.stream}`;
  }
}

/** The inverse of describeSequence, for values read back from storage. */
export function parseSequence(text: string): EventSequence {
  if (text === 'log') return { kind: 'log' };
  const colon = text.indexOf(':');
  const kind = text.slice(0, colon);
  const name = text.slice(colon + 1);
  if (kind === 'category') return { kind, category: name };
  if (kind === 'stream') return { kind, stream: name };
  throw new ValidationError(`unknown stored sequence ${JSON.stringify(text)}`);
}

/** Does an event of `stream` belong to the sequence? */
export function sequenceIncludes(
  sequence: EventSequence,
  stream: string,
  category: string,
): boolean {
  switch (sequence.kind) {
    case 'log':
      return true;
    case 'category':
      return sequence.category === category;
    case 'stream':
      return sequence.stream === stream;
  }
}
