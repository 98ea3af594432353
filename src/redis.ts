// The Redis Streams provider alone: `millrace/redis`. Its client, an optional peer dependency, loads on open.
export { redis } from './providers/redis/redis.js';
export type { RedisOptions } from './providers/redis/redis.js';
