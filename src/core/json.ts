import { ValidationError } from './errors.js';
import { clip } from './quote.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export interface JsonObject {
  [key: string]: JsonValue;
}

const MAX_DEPTH = 64;

/**
 * Throws unless `value` survives a JSON round trip unchanged. JSON.stringify
 * alone is not enough: it silently drops functions, `undefined` and symbols
 * and turns NaN into null, which would store something the publisher never sent.
 */
export function assertJson(value: unknown, what: string): asserts value is JsonValue {
  const problem = findNonJson(value, what, 0);
  if (problem !== undefined) {
    throw new ValidationError(`${problem}: event ${what} must be plain JSON`, {
      reason: 'invalid_json',
    });
  }
}

function findNonJson(value: unknown, path: string, depth: number): string | undefined {
  if (depth > MAX_DEPTH) return `${path} is nested deeper than ${MAX_DEPTH} levels`;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `${path} is ${String(value)}`;
    case 'object': {
      if (value === null) return undefined;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const found = findNonJson(value[i], `${path}[${i}]`, depth + 1);
          if (found !== undefined) return found;
        }
        return undefined;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) {
        const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
        return `${path} is a ${name}, not a plain object`;
      }
      for (const key of Object.keys(value)) {
        const found = findNonJson(
          (value as Record<string, unknown>)[key],
          `${path}.${clip(key, 32)}`,
          depth + 1,
        );
        if (found !== undefined) return found;
      }
      return undefined;
    }
    default:
      return `${path} is ${typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`}`;
  }
}

// JSON.stringify writes a NUL as \u0000 and a lone surrogate as \ud800 to
// \udfff (ES2019's well-formed stringify), and every other character as itself
// or a short escape. Its own backslashes come as \\, so an escape counts only
// after an even run of backslashes.
const UNSTORABLE_ESCAPE = /(?<!\\)(?:\\\\)*\\u(?:0000|d[89a-f][0-9a-f]{2})/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why `text` cannot be stored as text (PostgreSQL refuses both), or undefined. */
export function unstorableText(text: string): string | undefined {
  if (text.includes('\0')) return 'a NUL character (\\u0000)';
  if (LONE_SURROGATE.test(text)) return 'a lone surrogate (half of a UTF-16 pair, not a character)';
  return undefined;
}

/**
 * Throws unless `json`, the JSON.stringify of `value`, can be stored:
 * PostgreSQL's jsonb refuses \u0000 and lone surrogates, and a provider
 * that took them would answer a bad request with a database error. One scan
 * of text already serialised; the value is walked only to name the culprit.
 */
export function assertStorableJson(json: string, value: unknown, what: string): void {
  if (!json.includes('\\u') || !UNSTORABLE_ESCAPE.test(json)) return;
  const problem = findUnstorable(value, what) ?? `${what} holds a character that cannot be stored`;
  throw new ValidationError(`${problem}: event ${what} must be valid Unicode text without NUL`, {
    reason: 'invalid_character',
  });
}

function findUnstorable(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') {
    const why = unstorableText(value);
    return why === undefined ? undefined : `${path} holds ${why}`;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnstorable(value[i], `${path}[${i}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  for (const [key, item] of Object.entries(value)) {
    const why = unstorableText(key);
    if (why !== undefined) return `a key of ${path} holds ${why}`;
    const found = findUnstorable(item, `${path}.${clip(key, 32)}`);
    if (found !== undefined) return found;
  }
  return undefined;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
