/**
 * How error messages show the input they refuse: enough of it to recognise,
 * never the whole of it. A 900 KB name sent back whole in an HTTP answer (and
 * written to every log line that carries the error) costs more than the
 * request did, and may hand a secret to wherever errors end up.
 */

/** Characters of an input an error message shows before cutting it off. */
export const QUOTE_LIMIT = 64;

/** `text` cut to `limit` characters, with `…` when something was cut; never half a surrogate pair. */
export function clip(text: string, limit = QUOTE_LIMIT): string {
  if (text.length <= limit) return text;
  const last = text.charCodeAt(limit - 1);
  const end = last >= 0xd800 && last <= 0xdbff ? limit - 1 : limit;
  return `${text.slice(0, end)}…`;
}

/**
 * An input as an error message names it: a string in JSON quotes, anything
 * else as JSON where it has a JSON form, or by its type; clipped either way.
 */
export function quote(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(clip(value));
  if (typeof value === 'bigint') return clip(String(value));
  try {
    const json = JSON.stringify(value) as string | undefined;
    if (json !== undefined) return clip(json);
  } catch {
    // Cycles: named by type below.
  }
  return `a ${typeof value}`;
}

/** An input to keep in an error's details: strings clipped, other values as they are. */
export function clipped(value: unknown): unknown {
  return typeof value === 'string' ? clip(value) : value;
}
