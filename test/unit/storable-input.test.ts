/**
 * Input PostgreSQL cannot store (NUL, lone surrogates) is refused where it
 * enters, with a ValidationError naming the field; error messages show only a
 * short prefix of what they refuse.
 */
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { prepareEvent } from '../../src/core/event.js';
import { validateStream } from '../../src/core/names.js';
import { validatePosition } from '../../src/core/position.js';
import { clip, quote } from '../../src/core/quote.js';

const MAX = 1024 * 1024;
const base = { stream: 'order-1', subject: 'order.created' };

function refusal(run: () => unknown): ValidationError {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('event data and metadata PostgreSQL cannot store', () => {
  it.each([
    ['a NUL in a data string', { data: { name: 'a\u0000b' } }, 'data.name', 'NUL'],
    ['a NUL in a data key', { data: { 'a\u0000': 1 } }, 'a key of data', 'NUL'],
    ['a NUL in metadata', { data: 1, metadata: { trace: '\u0000' } }, 'metadata.trace', 'NUL'],
    ['a lone high surrogate', { data: ['ok', '\ud800'] }, 'data[1]', 'lone surrogate'],
    ['a lone low surrogate', { data: { x: 'a\udc00' } }, 'data.x', 'lone surrogate'],
    ['a reversed pair', { data: '\udc00\ud800' }, 'data', 'lone surrogate'],
  ])('%s → invalid_character naming the field', (_name, input, field, what) => {
    const error = refusal(() => prepareEvent({ ...base, ...input }, MAX));
    expect(error.reason).toBe('invalid_character');
    expect(error.message).toContain(field);
    expect(error.message).toContain(what);
  });

  it.each([
    ['a surrogate pair', { data: '😀 \ud83d\ude00' }],
    ['a backslash before u0000 text', { data: '\\u0000' }],
    ['escaped backslashes before a surrogate-like text', { data: { '\\\\ud800': '\\\\\\udc00x' } }],
    ['other control characters', { data: '\u0001\u001f\n\t' }],
  ])('%s is stored as given', (_name, input) => {
    const prepared = prepareEvent({ ...base, ...input }, MAX);
    expect(JSON.parse(prepared.dataJson)).toEqual(input.data);
  });
});

describe('error messages quote a short prefix of the input', () => {
  const huge = 'x'.repeat(900_000);

  it('clip keeps 64 characters and never splits a surrogate pair', () => {
    expect(clip('abc')).toBe('abc');
    expect(clip(huge)).toBe(`${'x'.repeat(64)}…`);
    expect(clip(`${'x'.repeat(63)}😀`)).toBe(`${'x'.repeat(63)}…`);
    expect(quote(huge)).toBe(`"${'x'.repeat(64)}…"`);
    expect(quote({ a: huge }).length).toBeLessThanOrEqual(65);
  });

  it.each([
    ['a stream', () => validateStream(`order-${huge}`)],
    ['a position', () => validatePosition(huge)],
    ['an event id', () => prepareEvent({ ...base, data: 1, id: huge }, MAX)],
    ['a subject', () => prepareEvent({ ...base, subject: huge, data: 1 }, MAX)],
    ['a data key', () => prepareEvent({ ...base, data: { [huge]: undefined } }, MAX)],
  ])('%s', (_name, run) => {
    const error = refusal(run);
    expect(error.message).not.toContain('x'.repeat(65));
    expect(JSON.stringify(error.details ?? {})).not.toContain('x'.repeat(65));
  });

  it('a position names the largest value exactly', () => {
    expect(refusal(() => validatePosition('9223372036854775808')).message).toContain(
      'from 0 to 9223372036854775807',
    );
    expect(validatePosition('9223372036854775807')).toBe('9223372036854775807');
  });
});
