/**
 * The in-memory reference provider: the contract's semantics in plain code,
 * for fast tests and as the model every other provider is checked against.
 * It behaves like the PostgreSQL provider with lease coordination (as on
 * PGlite) except that it cannot publish inside a caller's transaction, and
 * its data lives as long as its factory.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type {
  Provider,
  ProviderCapabilities,
  ProviderFactory,
} from '../../core/contracts/provider.js';
import type { DelayedEvents } from '../../core/contracts/scheduled.js';
import { ClosedError } from '../../core/errors.js';
import { AllocatedMembership } from '../../core/kit/membership/allocated-membership.js';
import { LogPruner } from '../../core/kit/retention/log-pruner.js';
import { MemoryData } from './memory-data.js';
import { DeliveryIndex } from '../../core/kit/deliveries/delivery-index.js';
import { MemoryLeaseElector } from './memory-lease-elector.js';
import { MemoryLog } from './memory-log.js';
import { MemoryMembershipStore } from './memory-membership-store.js';
import {
  resolveMemoryOptions,
  type MemoryOptions,
  type ResolvedMemoryOptions,
} from './memory-options.js';
import { MemoryPositions } from './memory-positions.js';
import { MemoryPrunableLog } from './memory-retention.js';
import { MemoryKeys } from './memory-keys.js';
import { MemoryRegistry } from './memory-registry.js';
import { MemoryScheduledEvents } from './memory-scheduled.js';
import { MAX_PARTITIONS } from './memory-scan.js';
import { MemoryWakeups } from './memory-wakeups.js';
import type { NamedLeases } from '../../core/contracts/elector.js';
import { namedLease } from '../../core/kit/election/named-lease.js';

export type { MemoryOptions } from './memory-options.js';

export const MEMORY_CAPABILITIES: ProviderCapabilities = {
  optimisticConcurrency: true,
  transactionalPublish: false,
  transactionalHandling: false,
  globalOrder: true,
  wakeups: true,
  sequences: ['log', 'category', 'stream'],
  allocation: 'millrace',
  maxPartitions: MAX_PARTITIONS,
  delayedEvents: true,
};

export class MemoryProvider implements Provider<never> {
  /** No transactions: a publish cannot run in one, nor a handler write through one. */
  declare readonly transactionType?: never;
  readonly kind = 'memory';
  readonly capabilities = MEMORY_CAPABILITIES;
  readonly log: MemoryLog;
  readonly positions: MemoryPositions;
  readonly deliveries: DeliveryIndex;
  readonly registry: MemoryRegistry;
  readonly keys: MemoryKeys;
  readonly retention: LogPruner;
  readonly leases: NamedLeases;
  readonly wakeups: MemoryWakeups;
  readonly members: MemoryMembershipStore;
  readonly membership: AllocatedMembership<never>;
  readonly delayed: DelayedEvents;
  private closed = false;
  private closing: Promise<void> | undefined;

  constructor(data: MemoryData, options: ResolvedMemoryOptions = resolveMemoryOptions()) {
    const assertOpen = () => {
      if (this.closed) throw new ClosedError('this memory provider is closed');
    };
    this.wakeups = new MemoryWakeups(data, assertOpen);
    this.log = new MemoryLog(data, this.wakeups, assertOpen);
    this.positions = new MemoryPositions(data, assertOpen);
    this.deliveries = new DeliveryIndex(data.deliveries, assertOpen);
    this.registry = new MemoryRegistry(data, assertOpen);
    this.keys = new MemoryKeys(data.keys, assertOpen);
    this.retention = new LogPruner({
      log: this.log,
      registry: this.registry,
      positions: this.positions,
      prunable: new MemoryPrunableLog(data, assertOpen),
    });
    this.members = new MemoryMembershipStore(data, assertOpen);
    const electorOptions = {
      holder: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
      host: hostname(),
      pid: process.pid,
      ttlMs: options.leaderTimeoutMs,
      intervalMs: options.allocatorTickMs,
    };
    const elector = new MemoryLeaseElector(data.membership, electorOptions, assertOpen);
    this.delayed = {
      store: new MemoryScheduledEvents(data, data.scheduled, this.log, assertOpen),
      createElector: () =>
        new MemoryLeaseElector(
          data.membership,
          { ...electorOptions, lease: data.scheduled.lease, announceResign: false },
          assertOpen,
        ),
    };
    this.leases = {
      elector: (name, timing) =>
        new MemoryLeaseElector(
          data.membership,
          {
            ...electorOptions,
            ...timing,
            holder: `${electorOptions.holder}:${randomUUID().slice(0, 8)}`,
            lease: data.membership.namedLease(namedLease(name)),
            announceResign: false,
          },
          assertOpen,
        ),
    };
    this.membership = new AllocatedMembership(
      this.members,
      this.positions,
      elector,
      { tickMs: options.allocatorTickMs, logger: options.logger },
      options.signals,
    );
  }

  /** Stops members' heartbeats and resigns leadership (both at once), then refuses every call. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.membership.close();
      this.shut();
    })();
    return this.closing;
  }

  /**
   * Stops as a killed process does: nothing more is heard from it, its
   * members neither leave nor heartbeat and its leadership is not resigned,
   * so the others take over only once the session timeout and the leader
   * timeout have passed.
   */
  kill(): Promise<void> {
    this.shut();
    this.closing ??= this.membership.close();
    return this.closing;
  }

  private shut(): void {
    this.closed = true;
    this.wakeups.close();
    this.members.close();
  }
}

/**
 * An in-memory provider. Every `open()` of one factory sees the same data,
 * as processes share a database: close millrace and open the factory again
 * to test a restart, or open it several times for competing processes.
 */
export function memory(options: MemoryOptions = {}): ProviderFactory<MemoryProvider> {
  const resolved = resolveMemoryOptions(options);
  const data = new MemoryData();
  return {
    kind: 'memory',
    open: (context) =>
      Promise.resolve(
        new MemoryProvider(data, { ...resolved, logger: resolved.logger ?? context?.logger }),
      ),
  };
}
