/**
 * Members, assignments and rebalances on Redis, with the semantics of the
 * memory and PostgreSQL stores. A consumer's generation and allocator term
 * (`meta`), its members and its partitions' owners sit under the consumer's
 * one hash tag, and every write is one script on that tag alone, so it is
 * atomic and runs on a cluster. Times are the server's. A member is dead
 * once its heartbeat expired: Redis shows no session to watch. Every change
 * is published on the members channel, so members re-read their assignment
 * and the leader rebalances within milliseconds.
 *
 * What lives in other slots is read apart from the scripts: the registry
 * (the consumer's partition count) and the allocator's lease. So the
 * allocator is fenced in two steps (see applyAllocation), and a change of a
 * consumer's partition count must bump its generation in `meta` as on
 * PostgreSQL (assignments_reset), after storing the new count.
 */
import type { Leadership } from '../../core/contracts/elector.js';
import type {
  AllocationChanges,
  AllocationState,
  DeadMemberNotice,
  MemberAssignment,
  MemberTerms,
  MembershipStore,
  RebalanceResult,
} from '../../core/contracts/membership-store.js';
import type { MemberInfo, MembershipView } from '../../core/contracts/membership.js';
import { FencedError, NotFoundError } from '../../core/errors.js';
import { allocationState } from '../../core/kit/allocation/allocation-state.js';
import type { RedisConnection, Reply } from './redis-connection.js';
import { translated } from './redis-errors.js';
import type { RedisKeys } from './redis-keys.js';
import { ALLOCATOR_LEASE, readLease } from './redis-lease-elector.js';
import { RedisMemberChanges } from './redis-member-changes.js';
import { RedisSession } from './redis-session.js';
import {
  listOf,
  loadedMembership,
  membershipView,
  numbersOf,
  type LoadedMembership,
} from './redis-membership-codec.js';

interface Activity {
  readonly consumer: string;
  /** It has members or owned partitions. */
  readonly active: boolean;
  /** One of its members is dead now. */
  readonly dead: boolean;
  /** Its live members whose connection can be watched. */
  readonly sessions: readonly WatchedMember[];
}

interface WatchedMember {
  readonly member: string;
  readonly session: string;
  /** How long its lease still runs (<= 0: over). */
  readonly leaseLeftMs: number;
}

export class RedisMembershipStore implements MembershipStore {
  private readonly changes: RedisMemberChanges;

  constructor(
    private readonly connection: RedisConnection,
    private readonly keys: RedisKeys,
    private readonly session: RedisSession = new RedisSession(connection.client),
  ) {
    this.changes = new RedisMemberChanges(connection, keys.membersChannel);
  }

  async join(
    consumer: string,
    member: MemberInfo,
    partitions: number,
    terms: MemberTerms,
  ): Promise<void> {
    // The registry is in another slot: checked first, not within the script.
    if ((await this.partitionCount(consumer)) === undefined) {
      throw new NotFoundError(`consumer ${JSON.stringify(consumer)} is not registered`, {
        reason: 'consumer_not_found',
        details: { consumer },
      });
    }
    const { members } = this.keys.consumer(consumer);
    await this.run(
      'member_join',
      [members],
      [
        member.id,
        member.host,
        member.pid,
        partitions,
        terms.sessionTimeoutMs,
        terms.leaseMs,
        this.keys.membersChannel,
        consumer,
        (await this.session.identity()) ?? '',
      ],
    );
  }

  async heartbeat(
    consumer: string,
    member: string,
    terms: MemberTerms,
  ): Promise<number | undefined> {
    const { meta, members } = this.keys.consumer(consumer);
    const generation = await this.run(
      'member_heartbeat',
      [meta, members],
      [member, terms.sessionTimeoutMs, terms.leaseMs, (await this.session.identity()) ?? ''],
    );
    return generation === null ? undefined : Number(generation);
  }

  async assignment(consumer: string, member: string): Promise<MemberAssignment> {
    const { meta, owners } = this.keys.consumer(consumer);
    const [generation, owned, ownedSince, revoking] = listOf(
      await this.run('member_assignment', [meta, owners], [member]),
    );
    return {
      generation: Number(generation ?? 0),
      owned: numbersOf(owned),
      ownedSince: numbersOf(ownedSince),
      revoking: numbersOf(revoking),
    };
  }

  async release(consumer: string, member: string, partitions: readonly number[]): Promise<void> {
    if (partitions.length === 0) return;
    await this.run(
      'partitions_release',
      [this.keys.consumer(consumer).owners],
      [this.keys.membersChannel, consumer, member, ...partitions],
    );
  }

  async leave(consumer: string, member: string): Promise<void> {
    const { members, owners } = this.keys.consumer(consumer);
    await this.run('member_leave', [members, owners], [this.keys.membersChannel, consumer, member]);
  }

  onChange(listener: (consumer: string) => void): Promise<() => Promise<void>> {
    return this.changes.listen(listener);
  }

  async describe(consumer: string): Promise<MembershipView> {
    const [loaded, lease] = await Promise.all([
      this.load(consumer),
      readLease(this.connection, this.keys, ALLOCATOR_LEASE),
    ]);
    return membershipView(loaded, lease);
  }

  async activeConsumers(): Promise<string[]> {
    return (await this.activity()).filter((a) => a.active).map((a) => a.consumer);
  }

  /** Consumers with a member whose heartbeat expired (no session to watch, so no lease to wait for). */
  onSessionLost(listener: () => void): () => void {
    return this.session.onLost(listener);
  }

  /**
   * Consumers with a member dead now, or whose connection is gone: such a
   * member's expiry is brought forward to its lease's end (members_gone), so
   * it is dead now if its lease is over, and due when its lease ends
   * otherwise; the rebalance that runs then finds it dead.
   */
  async deadMembers(): Promise<DeadMemberNotice[]> {
    const activity = await this.activity();
    const alive = await this.session
      .alive(activity.flatMap((a) => a.sessions.map((s) => s.session)))
      .catch(rethrow);
    const notices: DeadMemberNotice[] = [];
    for (const { consumer, dead, sessions } of activity) {
      const gone = sessions.filter((s) => !alive.has(s.session));
      if (gone.length > 0) {
        await this.run(
          'members_gone',
          [this.keys.consumer(consumer).members],
          gone.flatMap((s) => [s.member, s.session]),
        );
      }
      const dueInMs = Math.max(0, Math.min(...gone.map((s) => s.leaseLeftMs)));
      if (dead || dueInMs === 0) notices.push({ consumer, dueInMs: 0 });
      else if (gone.length > 0) notices.push({ consumer, dueInMs });
    }
    return notices;
  }

  async loadAllocation(consumer: string): Promise<AllocationState | undefined> {
    // The generation is read before the partition count: a repartition that
    // lands in between moves the generation, and the plan is refused as stale.
    const loaded = await this.load(consumer);
    const partitions = await this.partitionCount(consumer);
    if (partitions === undefined) return undefined;
    return allocationState({
      consumer,
      partitions,
      generation: loaded.generation,
      members: loaded.members,
      owners: loaded.owners,
    });
  }

  /**
   * Fenced in two steps, since the lease lives in another slot than the
   * consumer: the lease must still be this leadership's just before, and the
   * script refuses a term older than one that has written to this consumer
   * already. A leader deposed between the two can still write until its
   * successor first does; its plan was made on the generation it loaded,
   * so the successor's plan on an older one is refused as stale, and after
   * the successor's first write the deposed one is refused here.
   */
  async applyAllocation(
    loaded: AllocationState,
    changes: AllocationChanges,
    leadership: Leadership,
  ): Promise<RebalanceResult> {
    const { consumer } = loaded;
    const [lease, partitions] = await Promise.all([
      readLease(this.connection, this.keys, ALLOCATOR_LEASE),
      this.partitionCount(consumer),
    ]);
    if (lease?.holder !== leadership.holder || lease.term !== leadership.term) {
      throw deposed(leadership);
    }
    if (partitions === undefined) return { generation: 0, expired: [], changed: false };
    const { meta, members, owners } = this.keys.consumer(consumer);
    const args: (string | number)[] = [
      this.keys.membersChannel,
      consumer,
      leadership.term,
      loaded.generation,
      loaded.partitions,
      partitions,
      changes.grant.length,
    ];
    for (const { partition, member } of changes.grant) args.push(partition, member);
    args.push(changes.revoke.length, ...changes.revoke, changes.keep.length, ...changes.keep);
    const [outcome, generation, changed, ...expired] = listOf(
      await this.run('allocation_apply', [meta, members, owners], args),
    );
    if (outcome === 'deposed') throw deposed(leadership);
    if (outcome === 'stale') {
      return { generation: Number(generation), expired: [], changed: false, stale: true };
    }
    return {
      generation: Number(generation),
      expired: expired.map(String),
      changed: changed === 1,
    };
  }

  /** Stops this store's listeners (the provider is closing). */
  async close(): Promise<void> {
    await this.changes.close();
  }

  /** The consumer's partition count in the registry; undefined if it is not registered. */
  private async partitionCount(consumer: string): Promise<number | undefined> {
    const stored = await this.connection.client.hget(this.keys.consumers, consumer).catch(rethrow);
    if (stored === null) return undefined;
    const partitions = (JSON.parse(stored) as { partitions?: unknown }).partitions;
    return typeof partitions === 'number' ? partitions : undefined;
  }

  private async load(consumer: string): Promise<LoadedMembership> {
    const { meta, members, owners } = this.keys.consumer(consumer);
    return loadedMembership(
      consumer,
      await this.run('allocation_load', [meta, members, owners], []),
    );
  }

  /**
   * Every registered consumer, looked at one script each (pipelined): a
   * consumer's records sit in its own slot, so there is no one place that
   * lists the active ones.
   */
  private async activity(): Promise<Activity[]> {
    const consumers = await this.connection.client.hkeys(this.keys.consumers).catch(rethrow);
    return Promise.all(
      consumers.map(async (consumer): Promise<Activity> => {
        const { members, owners } = this.keys.consumer(consumer);
        const [active, dead, ...watched] = listOf(
          await this.run('consumer_activity', [members, owners], []),
        );
        const sessions: WatchedMember[] = [];
        for (let i = 0; i + 2 < watched.length; i += 3) {
          sessions.push({
            member: String(watched[i]),
            session: String(watched[i + 1]),
            leaseLeftMs: Number(watched[i + 2]),
          });
        }
        return { consumer, active: active === 1, dead: dead === 1, sessions };
      }),
    );
  }

  private run(
    name: Parameters<RedisConnection['run']>[0],
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<Reply> {
    return this.connection.run(name, keys, args).catch(rethrow);
  }
}

function deposed(leadership: Leadership): FencedError {
  return new FencedError(`leadership term ${leadership.term} is over`, { reason: 'deposed' });
}

function rethrow(error: unknown): never {
  throw translated(error);
}
