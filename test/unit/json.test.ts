import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import { assertJson, isJsonObject } from '../../src/core/json.js';

class Money {
  constructor(readonly cents: number) {}
}

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

function problem(value: unknown): ValidationError {
  try {
    assertJson(value, 'data');
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error('expected the value to be rejected');
}

describe('assertJson', () => {
  it.each([
    ['null', null],
    ['a boolean', false],
    ['zero', 0],
    ['a negative fraction', -1.5],
    ['a string', 'text with "quotes" and ünïcode 😀'],
    ['an empty array', []],
    ['an empty object', {}],
    ['nested values', { a: [1, { b: null, c: ['x', true] }], d: { e: { f: 2 } } }],
    ['an object without a prototype', Object.assign(Object.create(null) as object, { a: 1 })],
  ])('accepts %s', (_, value) => {
    expect(() => assertJson(value, 'data')).not.toThrow();
  });

  it.each([
    ['undefined', undefined, /data is undefined/],
    ['a function', () => 1, /data is a function/],
    ['NaN', NaN, /data is NaN/],
    ['Infinity', Infinity, /data is Infinity/],
    ['-Infinity', -Infinity, /data is -Infinity/],
    ['a BigInt', 10n, /data is a bigint/],
    ['a symbol', Symbol('s'), /data is a symbol/],
    ['a Date', new Date(0), /data is a Date, not a plain object/],
    ['a Map', new Map([['a', 1]]), /data is a Map/],
    ['a Set', new Set([1]), /data is a Set/],
    ['a RegExp', /x/, /data is a RegExp/],
    ['a class instance', new Money(5), /data is a Money/],
    ['a Buffer', Buffer.from('x'), /data is a Buffer/],
    ['undefined inside an object', { a: { b: undefined } }, /data\.a\.b is undefined/],
    ['undefined inside an array', [1, undefined], /data\[1\] is undefined/],
    // eslint-disable-next-line no-sparse-arrays
    ['a hole in an array', [1, , 3], /data\[1\] is undefined/],
    ['NaN deep inside', { a: [{ b: [NaN] }] }, /data\.a\[0\]\.b\[0\] is NaN/],
    ['a function in an object', { toJSON: () => 'x' }, /data\.toJSON is a function/],
    ['a Date inside an object', { at: new Date() }, /data\.at is a Date/],
  ])('rejects %s with invalid_json and the path', (_, value, message) => {
    const error = problem(value);
    expect(error.reason).toBe('invalid_json');
    expect(error.code).toBe('validation');
    expect(error.retriable).toBe(false);
    expect(error.message).toMatch(message);
  });

  it('accepts 64 levels of nesting and rejects 65', () => {
    expect(() => assertJson(nested(64), 'data')).not.toThrow();
    expect(problem(nested(65)).message).toMatch(/nested deeper than 64 levels/);
  });

  it('rejects very deep nesting without overflowing the stack', () => {
    expect(problem(nested(100_000)).reason).toBe('invalid_json');
  });
});

describe('isJsonObject', () => {
  it('is true only for non-null, non-array objects', () => {
    expect(isJsonObject({})).toBe(true);
    expect(isJsonObject([])).toBe(false);
    expect(isJsonObject(null)).toBe(false);
    expect(isJsonObject('x')).toBe(false);
  });
});
