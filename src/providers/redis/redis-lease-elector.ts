/**
 * Leadership by a lease key on Redis, as LeaseElector holds its lease row on
 * PostgreSQL (lease_acquire, lease_renew, lease_release): the leader renews
 * it a third of the way through, a leader that stops renewing loses it when
 * Redis expires the key, every new holder starts a new term (a counter that
 * outlives the lease), and resigning deletes it at once and tells the
 * members channel, so a candidate elsewhere takes over without waiting. On
 * one server the lease names the leader's connection: a candidate that finds
 * it gone (the leader was killed) takes the lease over at once, as a
 * PostgreSQL leader's session lock ends with its session.
 */
import type { Leadership } from '../../core/contracts/elector.js';
import { EVERY_CONSUMER } from '../../core/contracts/membership-store.js';
import {
  CampaigningElector,
  type CampaignOptions,
} from '../../core/kit/election/campaigning-elector.js';
import type { RedisConnection } from './redis-connection.js';
import { translated } from './redis-errors.js';
import type { RedisKeys } from './redis-keys.js';
import type { RedisSession } from './redis-session.js';

/** The lease whose holder runs the allocator; applyAllocation is fenced by it. */
export const ALLOCATOR_LEASE = 'allocator';

export interface RedisElectorOptions extends CampaignOptions {
  readonly host: string;
  readonly pid: number;
  /** Which lease to hold. @defaultValue ALLOCATOR_LEASE */
  readonly lease?: string;
  /**
   * Tell the members channel on resigning, so candidates elsewhere try at
   * once. A lease nobody waits on (the scheduler's) need not.
   * @defaultValue true
   */
  readonly announceResign?: boolean;
  /** This process's connection, watched by the other candidates. */
  readonly session: RedisSession;
}

/** A lease as lease_acquire stores it; there only while held (Redis expires it). */
export interface StoredLease {
  readonly holder: string;
  readonly host: string;
  readonly pid: number;
  readonly term: number;
  readonly acquiredAt: Date;
  readonly expiresAt: Date;
}

/** The lease as it stands: undefined if nobody holds it. */
export async function readLease(
  connection: RedisConnection,
  keys: RedisKeys,
  name: string,
): Promise<StoredLease | undefined> {
  const stored = await connection.client.get(keys.lease(name).lease).catch(rethrow);
  if (stored === null) return undefined;
  const lease = JSON.parse(stored) as Record<string, unknown>;
  if (typeof lease.holder !== 'string' || typeof lease.term !== 'number') {
    throw new Error(`lease ${name} is not a lease record: ${stored}`);
  }
  return {
    holder: lease.holder,
    host: typeof lease.host === 'string' ? lease.host : '',
    pid: typeof lease.pid === 'number' ? lease.pid : 0,
    term: lease.term,
    acquiredAt: new Date(Number(lease.acquiredAt ?? 0)),
    expiresAt: new Date(Number(lease.expiresAt ?? 0)),
  };
}

export class RedisLeaseElector extends CampaigningElector {
  constructor(
    private readonly connection: RedisConnection,
    private readonly keys: RedisKeys,
    private readonly options: RedisElectorOptions,
  ) {
    super(options);
  }

  private get name(): string {
    return this.options.lease ?? ALLOCATOR_LEASE;
  }

  /**
   * Takes the lease if it is free, ours already, or held on a connection the
   * server no longer has; a new holder starts a new term.
   */
  protected async campaign(): Promise<number | undefined> {
    const { session } = this.options;
    const mine = (await session.identity()) ?? '';
    const tried = await this.acquire(mine, '');
    if (tried.won || tried.value === '') return tried.won ? tried.value : undefined;
    const theirs = String(tried.value);
    if ((await session.alive([theirs])).has(theirs)) return undefined;
    const again = await this.acquire(mine, theirs);
    return again.won ? again.value : undefined;
  }

  private async acquire(mine: string, gone: string) {
    const { lease, terms } = this.keys.lease(this.name);
    const { holder, host, pid, ttlMs } = this.options;
    const [won, value] = (await this.connection
      .run('lease_acquire', [lease, terms], [this.name, holder, host, pid, ttlMs, mine, gone])
      .catch(rethrow)) as [number, number | string];
    return won === 1
      ? { won: true as const, value: Number(value) }
      : { won: false as const, value: String(value) };
  }

  /** Renews, unless the lease expired or was taken meanwhile. */
  protected async hold(leadership: Leadership): Promise<boolean> {
    const renewed = await this.connection
      .run(
        'lease_renew',
        [this.keys.lease(this.name).lease],
        [
          leadership.holder,
          leadership.term,
          this.options.ttlMs,
          (await this.options.session.identity()) ?? '',
        ],
      )
      .catch(rethrow);
    return renewed === 1;
  }

  protected async resign(leadership: Leadership): Promise<void> {
    await this.connection
      .run(
        'lease_release',
        [this.keys.lease(this.name).lease],
        [leadership.holder, leadership.term],
      )
      .catch(rethrow);
    // Candidates elsewhere try at once instead of at their next interval.
    if (this.options.announceResign === false) return;
    await this.connection.client.publish(this.keys.membersChannel, EVERY_CONSUMER).catch(rethrow);
  }
}

function rethrow(error: unknown): never {
  throw translated(error);
}
