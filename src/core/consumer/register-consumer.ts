/**
 * Registers a consumer, or updates its subjects, partitions and attempt
 * limit, without starting a member: what a member's start does first, for
 * callers (the HTTP API) that set a consumer up before any member runs.
 */
import type { Provider } from '../contracts/provider.js';
import type { ConsumerRecord } from '../contracts/registry.js';
import {
  resolveConsumerOptions,
  type ConsumerOptions,
  type ResolvedConsumerOptions,
} from './options.js';
import { startPoint } from './start-position.js';

/** What a consumer is registered with: its definition, and where it starts when new. */
export type ConsumerDefinitionInput = Pick<
  ConsumerOptions,
  'name' | 'sequence' | 'subjects' | 'partitions' | 'maxAttempts' | 'startFrom'
>;

/** The registry row, and whether this call created it. */
export interface Registered {
  readonly record: ConsumerRecord;
  readonly created: boolean;
}

export async function registerConsumer(
  provider: Provider,
  input: ConsumerDefinitionInput,
): Promise<Registered> {
  // Checked as a member's options are, so both refuse the same input alike.
  const options = resolveConsumerOptions(
    { ...input, handler: () => undefined },
    provider.capabilities,
  );
  const existed = (await provider.registry.get(options.name)) !== undefined;
  return { record: await registerResolved(provider, options), created: !existed };
}

/** Registers (or updates) a consumer from its checked options: a member's start does this first. */
export async function registerResolved(
  provider: Provider,
  options: ResolvedConsumerOptions<unknown>,
): Promise<ConsumerRecord> {
  const start = await startPoint(options.startFrom, provider.log, provider.capabilities);
  return provider.registry.register(
    {
      name: options.name,
      sequence: options.sequence,
      subjects: options.subjects,
      partitions: options.partitions,
      maxAttempts: options.maxAttempts,
    },
    start,
    options.startFrom,
  );
}
