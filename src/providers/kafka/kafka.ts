/**
 * `kafka()`, the Kafka provider's factory. It validates the options at once
 * but loads the provider, and with it the Kafka client, only when the
 * provider is opened: an application on PostgreSQL or PGlite never loads
 * Kafka code, and need not install the client at all (it is an optional
 * peer dependency).
 */
import type { Provider, ProviderFactory } from '../../core/contracts/provider.js';
import { withOptionalClient } from '../../core/kit/optional-client.js';
import { defaultLogger, type Logger } from '../../core/logger.js';
import { resolveKafkaOptions, type KafkaOptions } from './kafka-options.js';

export type { KafkaOptions } from './kafka-options.js';

const KAFKA_CLIENT_PACKAGE = '@platformatic/kafka';

/** A provider over a Kafka cluster: `kafka({ brokers: ['127.0.0.1:9092'] })`. */
export function kafka(
  options: KafkaOptions & { logger?: Logger } = {},
): ProviderFactory<Provider<never>> {
  const resolved = resolveKafkaOptions(options);
  return {
    kind: 'kafka',
    async open(context) {
      const { openKafkaProvider } = await withOptionalClient(
        'kafka',
        KAFKA_CLIENT_PACKAGE,
        () => import('./kafka-provider.js'),
      );
      return openKafkaProvider(resolved, options.logger ?? context?.logger ?? defaultLogger());
    },
  };
}
