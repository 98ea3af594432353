/**
 * Parsers for command-line values. Each throws commander's
 * InvalidArgumentError, which the CLI reports on one line with exit code 2.
 */
import { InvalidArgumentError } from 'commander';
import { isMillraceError } from '../core/errors.js';
import type { JsonObject, JsonValue } from '../core/json.js';
import { isJsonObject } from '../core/json.js';
import { validateSchemaName } from '../core/names.js';
import { validatePosition, type Position } from '../core/position.js';
import { validateSubjectPattern } from '../core/subjects.js';

function checked<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (isMillraceError(error)) throw new InvalidArgumentError(error.message);
    throw error;
  }
}

export function integer(min: number, max: number): (text: string) => number {
  return (text) => {
    const value = Number(text);
    if (!/^-?[0-9]+$/.test(text) || value < min || value > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    }
    return value;
  };
}

export function json(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch (error) {
    throw new InvalidArgumentError(`not JSON (${(error as Error).message})`);
  }
}

export function jsonObject(text: string): JsonObject {
  const value = json(text);
  if (!isJsonObject(value)) throw new InvalidArgumentError('expected a JSON object');
  return value;
}

const DURATION_UNITS_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** A delay such as `500ms`, `30s`, `5m`, `2h` or `1d`, in milliseconds. */
export function delay(text: string): number {
  const match = /^([0-9]{1,9})(ms|s|m|h|d)$/.exec(text);
  const unit = match === null ? undefined : DURATION_UNITS_MS[match[2] as string];
  if (match === null || unit === undefined) {
    throw new InvalidArgumentError('expected a delay such as 500ms, 30s, 5m, 2h or 1d');
  }
  return Number(match[1]) * unit;
}

/** An ISO 8601 time with a zone (`2026-01-01T09:00:00Z`, `...+02:00`). */
export function isoTime(text: string): Date {
  const time = new Date(text);
  if (!/^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/i.test(text) || Number.isNaN(time.getTime())) {
    throw new InvalidArgumentError('expected an ISO time with a zone, e.g. 2026-01-01T09:00:00Z');
  }
  return time;
}

export function position(text: string): Position {
  return checked(() => validatePosition(text));
}

/** Where reading starts: `beginning`, `end` or a position. */
export type StartPoint = 'beginning' | 'end' | { readonly position: Position };

export function startPoint(text: string): StartPoint {
  if (text === 'beginning' || text === 'end') return text;
  if (!/^[0-9]+$/.test(text)) {
    throw new InvalidArgumentError('expected beginning, end or a position');
  }
  return { position: checked(() => validatePosition(text)) };
}

/** Where a reset moves a consumer: `beginning`, `end`, a position or an ISO time. */
export function resetTarget(text: string): StartPoint | { readonly time: Date } {
  if (/^\d{4}-\d{2}-\d{2}T/.test(text)) return { time: isoTime(text) };
  try {
    return startPoint(text);
  } catch {
    throw new InvalidArgumentError('expected beginning, end, a position or an ISO time');
  }
}

export function subjectPatterns(text: string): string[] {
  return checked(() => text.split(',').map(validateSubjectPattern));
}

export function schemaName(text: string): string {
  return checked(() => validateSchemaName(text));
}

export function serverUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new InvalidArgumentError('expected a URL such as http://127.0.0.1:7700');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidArgumentError('expected an http:// or https:// URL');
  }
  return text;
}
