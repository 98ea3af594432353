import { ValidationError } from './errors.js';

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
          `${path}.${key}`,
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

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
