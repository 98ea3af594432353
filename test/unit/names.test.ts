import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/core/errors.js';
import {
  categoryOf,
  validateCategory,
  validateConsumerName,
  validateSchemaName,
  validateStream,
} from '../../src/core/names.js';

/** Strings shaped to break out of SQL, keys or paths if a name were ever spliced in. */
const HOSTILE = [
  "order'; DROP TABLE x;--",
  'order"; DROP TABLE x;--',
  'order; DROP TABLE x',
  'order/*x*/',
  'order\nDROP',
  'order\n',
  'order\0',
  '../etc/passwd',
  '$(rm -rf /)',
  'order`x`',
];

function rejects(validate: (value: unknown) => string, value: unknown, reason: string): void {
  let thrown: unknown;
  try {
    validate(value);
  } catch (error) {
    thrown = error;
  }
  expect(thrown, `expected ${JSON.stringify(value)} to be rejected`).toBeInstanceOf(
    ValidationError,
  );
  expect((thrown as ValidationError).reason).toBe(reason);
}

describe('stream names', () => {
  it.each([
    'order',
    'order-123',
    'cart-7f3a-2',
    'order-a_b.c:d@e+f=g-h',
    'user_profile-0',
    'A-1',
    `o-${'x'.repeat(198)}`,
  ])('accepts %j', (stream) => {
    expect(validateStream(stream)).toBe(stream);
  });

  it.each([
    '',
    '-123',
    '1order',
    '_order',
    'order-',
    'order-12 3',
    'order-1/2',
    'order-1#',
    'ordér-1',
    'order-日本',
    'order-😀',
    `o-${'x'.repeat(199)}`,
    ...HOSTILE,
  ])('rejects %j', (stream) => {
    rejects(validateStream, stream, 'invalid_stream');
  });

  it.each([123, null, undefined, {}, ['order']])('rejects the non-string %j', (value) => {
    rejects(validateStream, value, 'invalid_stream');
  });

  it('says what is allowed and names the stream', () => {
    expect(() => validateStream('order-1/2')).toThrow(/"order-1\/2".*letters, digits/);
    expect(() => validateStream('x'.repeat(201))).toThrow(/at most 200/);
  });

  it('takes the category from the prefix before the first dash', () => {
    expect(categoryOf('order-123')).toBe('order');
    expect(categoryOf('cart-7f3a-2')).toBe('cart');
    expect(categoryOf('order')).toBe('order');
  });
});

describe('category names', () => {
  it.each(['order', 'user_profile', 'A1', 'x', 'a'.repeat(100)])('accepts %j', (category) => {
    expect(validateCategory(category)).toBe(category);
  });

  it.each([
    '',
    '1abc',
    '_x',
    'or-der',
    'ord er',
    'order.x',
    'ordér',
    'заказ',
    'a'.repeat(101),
    ...HOSTILE,
    42,
    null,
  ])('rejects %j', (category) => {
    rejects(validateCategory, category, 'invalid_category');
  });
});

describe('consumer names', () => {
  it.each(['send-cancellation-email', '1abc', 'a.b_c-d', 'A', 'a'.repeat(128)])(
    'accepts %j',
    (name) => {
      expect(validateConsumerName(name)).toBe(name);
    },
  );

  it.each([
    '',
    '-abc',
    '.abc',
    '_abc',
    'a b',
    'a/b',
    'a:b',
    'émail',
    'a'.repeat(129),
    ...HOSTILE,
    undefined,
    7,
  ])('rejects %j', (name) => {
    rejects(validateConsumerName, name, 'invalid_consumer_name');
  });
});

describe('schema names', () => {
  it.each(['millrace', '_x', 'a1', 'app_events', 'a'.repeat(48)])('accepts %j', (schema) => {
    expect(validateSchemaName(schema)).toBe(schema);
  });

  it.each([
    '',
    'Millrace',
    '1a',
    'a-b',
    'a.b',
    '"x"',
    'ü',
    'a'.repeat(49),
    'x; DROP SCHEMA public;--',
    ...HOSTILE,
    null,
  ])('rejects %j', (schema) => {
    rejects(validateSchemaName, schema, 'invalid_schema');
  });
});
