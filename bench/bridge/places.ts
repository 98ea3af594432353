/**
 * Where a run's events land: a fresh schema on the machine's PostgreSQL, or
 * a fresh key prefix on its shared Redis (never flushed: the prefix's keys
 * are deleted afterwards). Every place made is remembered until destroyed,
 * so an interrupted run still removes what it made.
 */
import { Millrace, isMillraceError, postgres, type Event } from '../../src/index.js';
import { redis } from '../../src/redis.js';
import { uniqueSchema } from '../../test/support/database.js';
import { dropPrefix, uniquePrefix } from '../../test/support/redis.js';
import { DATABASE_URL, dropSchema } from '../backends.js';

export const REDIS_URL = process.env.MILLRACE_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

export type LogKind = 'pg' | 'redis';

export const LOG_NAMES: Record<LogKind, string> = { pg: 'PostgreSQL', redis: 'Redis Streams' };

/** A place as the child processes are told it (JSON). */
export type LogPlace =
  | { readonly kind: 'pg'; readonly schema: string }
  | { readonly kind: 'redis'; readonly prefix: string };

const made = new Set<string>();
const key = (place: LogPlace) => JSON.stringify(place);

export function newPlace(kind: LogKind): LogPlace {
  const place: LogPlace =
    kind === 'pg'
      ? { kind, schema: uniqueSchema('bench_bridge') }
      : { kind, prefix: uniquePrefix('bench-bridge') };
  made.add(key(place));
  return place;
}

/** Opens millrace on a place (the first open migrates a PostgreSQL schema). */
export function openLog(place: LogPlace, options: { scheduler?: boolean } = {}): Promise<Millrace> {
  const provider =
    place.kind === 'pg'
      ? postgres({ connectionString: DATABASE_URL, schema: place.schema, maxConnections: 6 })
      : redis({ url: REDIS_URL, prefix: place.prefix });
  return Millrace.open({ provider, deliverDelayed: options.scheduler ?? false });
}

export async function destroyPlace(place: LogPlace): Promise<void> {
  if (place.kind === 'pg') await dropSchema(place.schema);
  else await dropPrefix(place.prefix, REDIS_URL);
  made.delete(key(place));
}

/** Destroys every place not destroyed yet (an interrupted or failed run). */
export async function destroyAllPlaces(): Promise<void> {
  for (const text of [...made]) {
    await destroyPlace(JSON.parse(text) as LogPlace).catch((error: unknown) =>
      process.stderr.write(`could not remove ${text}: ${(error as Error).message}\n`),
    );
  }
}

/**
 * Calls `each` with every event of a category, in log order; a log read by
 * partition (Redis) is read one partition after another.
 */
export async function forEachEvent(
  millrace: Millrace,
  category: string,
  each: (event: Event) => void,
): Promise<void> {
  const sequence = { category };
  let partitions = 1;
  try {
    await millrace.read({ sequence, limit: 1 });
  } catch (error) {
    const count = isMillraceError(error) ? error.details?.partitions : undefined;
    if (typeof count !== 'number') throw error;
    partitions = count;
  }
  for (let index = 0; index < partitions; index += 1) {
    const partition = partitions === 1 ? undefined : { index, count: partitions };
    let after: string | undefined;
    for (;;) {
      const page = await millrace.read({ sequence, after, limit: 5000, partition });
      page.events.forEach(each);
      after = page.next;
      if (!page.hasMore) break;
    }
  }
}
