/**
 * Durations as people write them on a command line or in a config file:
 * `500ms`, `45s`, `30m`, `12h`, `7d`, `2w`, or a number of milliseconds.
 */
import { ValidationError } from '../errors.js';
import { clipped, quote } from '../quote.js';

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const DURATION = /^([0-9]{1,12})(ms|s|m|h|d|w)$/;

/** A hundred years: past this a Date no longer means anything useful here. */
const MAX_MS = 100 * 365 * 86_400_000;

/** Milliseconds in a duration; a ValidationError naming `field` for anything else, zero included. */
export function parseDuration(value: unknown, field: string): number {
  const ms = typeof value === 'number' ? value : durationMs(value);
  if (ms === undefined || !Number.isSafeInteger(ms) || ms < 1 || ms > MAX_MS) {
    throw new ValidationError(
      `invalid ${field} ${quote(value)}: use a duration such as 30m, 12h or 7d (units ms, s, m, h, d, w), or a positive number of milliseconds`,
      { reason: 'invalid_duration', details: { [field]: clipped(value) } },
    );
  }
  return ms;
}

function durationMs(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = DURATION.exec(value.trim());
  if (match === null) return undefined;
  return Number(match[1]) * (UNIT_MS[match[2] as string] as number);
}
