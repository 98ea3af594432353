/**
 * Request bodies as JSON, refused with the library's own ValidationError so
 * every failure names its reason. A `__proto__` key, or `constructor` holding
 * `prototype`, is refused as such rather than called "not JSON": harmless
 * here, but any client that merges the body into an object of its own would
 * change that object's prototype (the rule fastify's own parser keeps).
 */
import { ValidationError } from '../core/errors.js';
import { clip } from '../core/quote.js';

// A key spelled with any of its letters escaped is the same key (secure-json-parse's patterns).
const SUSPECT_PROTO =
  /"(?:_|\\u005[Ff])(?:_|\\u005[Ff])(?:p|\\u0070)(?:r|\\u0072)(?:o|\\u006[Ff])(?:t|\\u0074)(?:o|\\u006[Ff])(?:_|\\u005[Ff])(?:_|\\u005[Ff])"\s*:/;
const SUSPECT_CONSTRUCTOR =
  /"(?:c|\\u0063)(?:o|\\u006[Ff])(?:n|\\u006[Ee])(?:s|\\u0073)(?:t|\\u0074)(?:r|\\u0072)(?:u|\\u0075)(?:c|\\u0063)(?:t|\\u0074)(?:o|\\u006[Ff])(?:r|\\u0072)"\s*:/;

function forbiddenKey(value: unknown, path: string, constructors: boolean): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = forbiddenKey(value[i], `${path}[${i}]`, constructors);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  const record = value as Record<string, unknown>;
  if (Object.hasOwn(record, '__proto__')) return `${path}.__proto__`;
  const ctor = record.constructor;
  if (constructors && Object.hasOwn(record, 'constructor') && isObject(ctor)) {
    if (Object.hasOwn(ctor, 'prototype')) return `${path}.constructor.prototype`;
  }
  for (const [key, item] of Object.entries(record)) {
    const found = forbiddenKey(item, `${path}.${clip(key, 32)}`, constructors);
    if (found !== undefined) return found;
  }
  return undefined;
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

export function parseJsonBody(text: string): unknown {
  if (text.length === 0) {
    throw new ValidationError('the body is empty: send a JSON value', { reason: 'invalid_json' });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ValidationError(
      `the body is not valid JSON: ${clip((error as Error).message, 120)}`,
      {
        reason: 'invalid_json',
      },
    );
  }
  // Only bodies that spell a suspect key anywhere are walked.
  const protos = SUSPECT_PROTO.test(text);
  const constructors = SUSPECT_CONSTRUCTOR.test(text);
  if (protos || constructors) {
    const key = forbiddenKey(value, 'body', constructors);
    if (key !== undefined) {
      throw new ValidationError(
        `${key}: the keys "__proto__" and "constructor.prototype" are not accepted (they change prototypes in clients that merge objects)`,
        { reason: 'forbidden_key', details: { field: key } },
      );
    }
  }
  return value;
}
