/**
 * The partition of an event is `streamHash(stream) % count`. Any hash works
 * as long as it never changes: a stored position means "finished up to here
 * for the streams that hash into this partition". FNV-1a over UTF-8 is
 * short, stable across platforms and spreads similar names well.
 */
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

const encoder = new TextEncoder();

/** A 32-bit non-negative hash of a stream name. */
export function streamHash(stream: string): number {
  let hash = FNV_OFFSET;
  for (const byte of encoder.encode(stream)) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}
