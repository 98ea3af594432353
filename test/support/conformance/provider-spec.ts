/**
 * A provider described in JSON, so a child process (member.ts) can open the
 * very namespace its parent test set up. Only targets that more than one
 * process can share have one: in-memory PGlite lives inside a single process.
 * No vitest here: the child process imports this file too.
 */
import { kafka, postgres, type ProviderFactory } from '../../../src/index.js';
import { redis } from '../../../src/redis.js';

export type ProviderSpec =
  | { readonly kind: 'postgres'; readonly connectionString: string; readonly schema: string }
  | {
      readonly kind: 'kafka';
      readonly brokers: readonly string[];
      readonly prefix: string;
      /** Partitions of the topics it creates; by default the provider's. */
      readonly partitions?: number;
    }
  | {
      readonly kind: 'redis';
      /** One server's URL, or for a Redis Cluster `cluster:host:port,host:port,...`. */
      readonly url: string;
      readonly prefix: string;
      /** Partitions of the categories it meets; by default the provider's. */
      readonly partitions?: number;
    };

export function openProviderFromSpec(spec: ProviderSpec): ProviderFactory {
  switch (spec.kind) {
    case 'postgres':
      return postgres({
        connectionString: spec.connectionString,
        schema: spec.schema,
        maxConnections: 4,
      });
    case 'kafka':
      return kafka({
        brokers: [...spec.brokers],
        prefix: spec.prefix,
        partitions: spec.partitions,
      });
    case 'redis':
      return spec.url.startsWith('cluster:')
        ? redis({
            cluster: { nodes: spec.url.slice('cluster:'.length).split(',') },
            prefix: spec.prefix,
            partitions: spec.partitions,
          })
        : redis({ url: spec.url, prefix: spec.prefix, partitions: spec.partitions });
  }
}

/** Parses a spec from a command line argument, refusing anything else. */
export function parseProviderSpec(text: string): ProviderSpec {
  const spec = JSON.parse(text) as Partial<Record<string, unknown>>;
  if (
    spec.kind === 'postgres' &&
    typeof spec.connectionString === 'string' &&
    typeof spec.schema === 'string'
  ) {
    return { kind: 'postgres', connectionString: spec.connectionString, schema: spec.schema };
  }
  if (
    spec.kind === 'kafka' &&
    Array.isArray(spec.brokers) &&
    spec.brokers.every((broker) => typeof broker === 'string') &&
    typeof spec.prefix === 'string' &&
    (spec.partitions === undefined || Number.isInteger(spec.partitions))
  ) {
    const partitions = spec.partitions as number | undefined;
    return { kind: 'kafka', brokers: spec.brokers, prefix: spec.prefix, partitions };
  }
  if (
    spec.kind === 'redis' &&
    typeof spec.url === 'string' &&
    typeof spec.prefix === 'string' &&
    (spec.partitions === undefined || Number.isInteger(spec.partitions))
  ) {
    const partitions = spec.partitions as number | undefined;
    return { kind: 'redis', url: spec.url, prefix: spec.prefix, partitions };
  }
  throw new Error(`not a provider spec: ${text}`);
}
