/**
 * The NOTIFY payload: `[origin;]category[:hash,hash,...]`. The origin names
 * the provider instance that published after its own commit; that instance
 * already woke its own consumers and skips the echo. Categories hold neither
 * ';' nor ':' (see names.ts), so the splits are unambiguous; a payload that
 * does not parse wakes everyone rather than no one.
 */
import { ANY_CATEGORY, type Wakeup } from '../../core/contracts/wakeups.js';

export interface DecodedWakeup {
  readonly wakeup: Wakeup;
  readonly origin: string | undefined;
}

export function encodeWakeup(wakeup: Wakeup, origin?: string): string {
  const body =
    wakeup.streamHashes === undefined
      ? wakeup.category
      : `${wakeup.category}:${wakeup.streamHashes.join(',')}`;
  return origin === undefined ? body : `${origin};${body}`;
}

export function decodeWakeup(payload: string): DecodedWakeup {
  const semicolon = payload.indexOf(';');
  const origin = semicolon === -1 ? undefined : payload.slice(0, semicolon);
  const body = payload.slice(semicolon + 1);
  const colon = body.indexOf(':');
  if (colon === -1) return { origin, wakeup: { category: body === '' ? ANY_CATEGORY : body } };
  const category = body.slice(0, colon);
  const streamHashes = body
    .slice(colon + 1)
    .split(',')
    .map(Number);
  if (streamHashes.some((hash) => !Number.isSafeInteger(hash) || hash < 0)) {
    return { origin, wakeup: { category } };
  }
  return { origin, wakeup: { category, streamHashes } };
}
