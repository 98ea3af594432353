/**
 * The work provider contract: everything the consumer runtime needs from a
 * backend, named by domain operation. Handlers never see it.
 */
import type { Logger } from '../logger.js';
import type { SequenceKind } from '../sequence.js';
import type { DeliveryStore } from './deliveries.js';
import type { NamedLeases } from './elector.js';
import type { KeyStore } from './keys.js';
import type { LogStore } from './log.js';
import type { MemberDirectory } from './member-directory.js';
import type { Membership } from './membership.js';
import type { PositionStore } from './positions.js';
import type { ConsumerRegistry } from './registry.js';
import type { RetentionStore } from './retention.js';
import type { DelayedEvents } from './scheduled.js';
import type { WakeupSource } from './wakeups.js';

/** What a provider can do; asked for up front, never discovered by a failing call. */
export interface ProviderCapabilities {
  /** Streams have versions and `expectedVersion` is enforced. */
  readonly optimisticConcurrency: boolean;
  /** Publish inside the caller's own database transaction (outbox). */
  readonly transactionalPublish: boolean;
  /** Handlers may write in the transaction that commits their position (effectively-once). */
  readonly transactionalHandling: boolean;
  /** One total order over the whole log; otherwise order holds per partition. */
  readonly globalOrder: boolean;
  /** Publishes wake idle consumers at once; without it they poll. */
  readonly wakeups: boolean;
  /** The sequences a consumer may read. */
  readonly sequences: readonly SequenceKind[];
  /** Who assigns partitions to members: millrace's allocator or the backend's own groups. */
  readonly allocation: 'millrace' | 'provider';
  /** The largest partition count a consumer may ask for. */
  readonly maxPartitions: number;
  /** Publish with `deliverAt`: the event enters the log when it is due (see scheduled.ts). */
  readonly delayedEvents: boolean;
}

/**
 * A backend, opened. `Transaction` is the driver's own transaction object: what
 * a publish may run in (`transactionalPublish`) and what an effectively-once
 * handler writes through (`transactionalHandling`); `never` where the
 * provider has none.
 */
export interface Provider<Transaction = unknown> {
  /** `postgres`, `pglite`, `memory`, ... */
  readonly kind: string;
  /** Never set: carries `Transaction` for the types (`TransactionOf`). */
  readonly transactionType?: Transaction;
  readonly capabilities: ProviderCapabilities;
  readonly log: LogStore<Transaction>;
  readonly positions: PositionStore;
  /** Retries, dead letters and cancellations: written only off the happy path. */
  readonly deliveries: DeliveryStore;
  readonly registry: ConsumerRegistry;
  /** API keys of the HTTP API, shared by every server over this provider. */
  readonly keys: KeyStore;
  /**
   * Members over HTTP, shared by the servers over this provider so a worker
   * may call any of them; absent where servers cannot share it (each server
   * then hosts the members started on it, and a worker calls that server).
   */
  readonly httpMembers?: MemberDirectory;
  /** Present when `capabilities.wakeups`. */
  readonly wakeups: WakeupSource | undefined;
  readonly membership: Membership<Transaction>;
  /** Present when `capabilities.delayedEvents`. */
  readonly delayed: DelayedEvents<Transaction> | undefined;
  /** Pruning old events; absent where the provider cannot (`millrace.prune` then refuses). */
  readonly retention?: RetentionStore;
  /** Leases by name (the ingress bridge's leader); absent where the backend keeps none. */
  readonly leases?: NamedLeases;
  close(): Promise<void>;
}

/** What `Millrace.open` hands the provider it opens. */
export interface ProviderContext {
  /** Where the provider's own warnings go (membership, allocation): the application's logger. */
  readonly logger: Logger;
}

/**
 * A provider not yet connected: `postgres({...})`, `pglite({...})`,
 * `memory()`. `P` is what it opens: code that needs one provider's own
 * parts (the CLI's `migrate`) gets them typed, with no cast.
 */
/** The transaction type of a provider (`unknown` when it does not say). */
export type TransactionOf<P> = P extends { readonly transactionType?: infer Transaction }
  ? Exclude<Transaction, undefined>
  : unknown;

export interface ProviderFactory<P extends Provider = Provider> {
  readonly kind: string;
  open(context?: ProviderContext): Promise<P>;
}
