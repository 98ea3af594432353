// The Redis client for a Pub/Sub source: imported statically here, and this
// module loaded only when a source starts, so the optional client loads then.
import { Redis } from 'ioredis';

export function createSubscriber(
  url: string,
  reconnectMs: { readonly first: number; readonly max: number },
  connectionName: string,
): Redis {
  return new Redis(url, {
    lazyConnect: true,
    connectionName,
    // A subscriber has nothing to replay: commands wait for the reconnect.
    maxRetriesPerRequest: null,
    retryStrategy: (times) =>
      Math.min(reconnectMs.first * 2 ** Math.min(times - 1, 20), reconnectMs.max),
  });
}
