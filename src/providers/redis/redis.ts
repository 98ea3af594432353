/**
 * `redis()`, the Redis Streams provider's factory. It validates the options
 * at once but loads the provider, and with it the Redis client, only when
 * the provider is opened: an application on PostgreSQL never loads Redis
 * code, and need not install the client (an optional peer dependency).
 */
import type { Provider, ProviderFactory } from '../../core/contracts/provider.js';
import { withOptionalClient } from '../../core/kit/optional-client.js';
import { defaultLogger, type Logger } from '../../core/logger.js';
import { resolveRedisOptions, type RedisOptions } from './redis-options.js';

export type { RedisOptions } from './redis-options.js';

const REDIS_CLIENT_PACKAGE = 'ioredis';

/** A provider over Redis Streams: `redis({ url: 'redis://127.0.0.1:6379' })` or `redis({ cluster: { nodes } })`. */
export function redis(
  options: RedisOptions & { logger?: Logger },
): ProviderFactory<Provider<never>> {
  const resolved = resolveRedisOptions(options);
  return {
    kind: 'redis',
    async open(context) {
      const { openRedisProvider } = await withOptionalClient(
        'redis',
        REDIS_CLIENT_PACKAGE,
        () => import('./redis-provider.js'),
      );
      return openRedisProvider(resolved, options.logger ?? context?.logger ?? defaultLogger());
    },
  };
}
