/**
 * Members, assignments and rebalances in PostgreSQL (see 0003_members.sql).
 * Every change is announced on the members channel, so members re-read
 * their assignment and the leader rebalances within milliseconds.
 */
import { EVERY_CONSUMER } from '../../core/contracts/membership-store.js';
import type { Leadership } from '../../core/contracts/elector.js';
import type {
  AllocationChanges,
  AllocationState,
  DeadMemberNotice,
  MemberAssignment,
  MemberRecord,
  MemberTerms,
  MembershipStore,
  PartitionOwner,
  RebalanceResult,
} from '../../core/contracts/membership-store.js';
import type { MemberInfo, MembershipView } from '../../core/contracts/membership.js';
import { FencedError } from '../../core/errors.js';
import { allocationState } from '../../core/kit/allocation/allocation-state.js';
import type { Database, SessionIdentity, SqlExecutor } from './database.js';
import { translated } from './errors.js';
import type { QueryBook } from './sql.js';

export const ALLOCATOR_LEASE = 'allocator';

interface LeaseRow {
  [key: string]: unknown;
  holder: string | null;
  host: string | null;
  pid: number | null;
  term: string;
  acquired_at: Date | null;
  expires_at: Date;
  live: boolean;
}

interface MemberRow {
  [key: string]: unknown;
  member_id: string;
  host: string;
  pid: number;
  partitions: number;
  joined_at: Date;
  heartbeat_at: Date;
  expires_at: Date;
}

/** This process's own session, where the others can watch it (coordination 'session'). */
export interface WatchedSession {
  identity(): Promise<SessionIdentity | undefined>;
  onLost(listener: () => void): () => void;
}

export class PgMembershipStore implements MembershipStore {
  constructor(
    private readonly db: Database,
    private readonly book: QueryBook,
    /** Recorded with every member, so the leader sees its members die with this process. */
    private readonly session: WatchedSession | undefined,
  ) {}

  async join(
    consumer: string,
    member: MemberInfo,
    partitions: number,
    terms: MemberTerms,
  ): Promise<void> {
    const identity = await translated(async () => this.session?.identity());
    await translated(() =>
      this.db.query(this.book.get('member_join'), [
        consumer,
        member.id,
        member.host,
        member.pid,
        terms.sessionTimeoutMs,
        partitions,
        identity?.pid ?? null,
        identity?.started ?? null,
        terms.leaseMs,
      ]),
    );
    await this.announce(consumer);
  }

  async heartbeat(
    consumer: string,
    member: string,
    terms: MemberTerms,
  ): Promise<number | undefined> {
    const identity = await translated(async () => this.session?.identity());
    const rows = await translated(() =>
      this.db.query<{ generation: string }>(this.book.get('member_heartbeat'), [
        consumer,
        member,
        terms.sessionTimeoutMs,
        terms.leaseMs,
        identity?.pid ?? null,
        identity?.started ?? null,
      ]),
    );
    return rows[0] === undefined ? undefined : Number(rows[0].generation);
  }

  onSessionLost(listener: () => void): () => void {
    return this.session?.onLost(listener) ?? (() => undefined);
  }

  async assignment(consumer: string, member: string): Promise<MemberAssignment> {
    const [row] = await translated(() =>
      this.db.query<{
        generation: string;
        owned: number[];
        owned_since: string[];
        revoking: number[];
      }>(this.book.get('member_assignment'), [consumer, member]),
    );
    return row === undefined
      ? { generation: 0, owned: [], ownedSince: [], revoking: [] }
      : {
          generation: Number(row.generation),
          owned: row.owned,
          ownedSince: row.owned_since.map(Number),
          revoking: row.revoking,
        };
  }

  async release(consumer: string, member: string, partitions: readonly number[]): Promise<void> {
    if (partitions.length === 0) return;
    await translated(() =>
      this.db.query(this.book.get('partitions_release'), [consumer, member, partitions]),
    );
    await this.announce(consumer);
  }

  async leave(consumer: string, member: string): Promise<void> {
    await translated(() => this.db.query(this.book.get('member_leave'), [consumer, member]));
    await this.announce(consumer);
  }

  async onChange(listener: (consumer: string) => void): Promise<() => Promise<void>> {
    return translated(() =>
      this.db.listen(this.book.names.membersChannel, listener, () => listener(EVERY_CONSUMER)),
    );
  }

  async describe(consumer: string): Promise<MembershipView> {
    const [generation, members, owners, lease] = await translated(() =>
      Promise.all([
        this.db.query<{ generation: string }>(this.book.get('consumer_generation'), [consumer]),
        this.db.query<MemberRow & { owned: number[]; revoking: number[] }>(
          this.book.get('members_describe'),
          [consumer],
        ),
        this.db.query<{ partition: number; member_id: string | null; revoking: boolean }>(
          this.book.get('assignments_load'),
          [consumer],
        ),
        this.db.query<LeaseRow>(this.book.get('lease_get'), [ALLOCATOR_LEASE]),
      ]),
    );
    const leader = lease[0];
    return {
      generation: Number(generation[0]?.generation ?? 0),
      leader:
        leader?.live && leader.holder !== null
          ? {
              holder: leader.holder,
              host: leader.host ?? '',
              pid: leader.pid ?? 0,
              term: Number(leader.term),
              since: leader.acquired_at ?? leader.expires_at,
              expiresAt: leader.expires_at,
            }
          : undefined,
      members: members.map((m) => ({
        id: m.member_id,
        host: m.host,
        pid: m.pid,
        owned: m.owned,
        revoking: m.revoking,
        joinedAt: m.joined_at,
        heartbeatAt: m.heartbeat_at,
        expiresAt: m.expires_at,
      })),
      owners: owners.map((o) => ({
        partition: o.partition,
        member: o.member_id,
        revoking: o.revoking,
      })),
    };
  }

  async activeConsumers(): Promise<string[]> {
    const rows = await translated(() =>
      this.db.query<{ name: string }>(this.book.get('active_consumers')),
    );
    return rows.map((row) => row.name);
  }

  async deadMembers(): Promise<DeadMemberNotice[]> {
    const rows = await translated(() =>
      this.db.query<{ name: string; due_in_ms: number }>(this.book.get('dead_members')),
    );
    return rows.map((row) => ({ consumer: row.name, dueInMs: row.due_in_ms }));
  }

  async loadAllocation(consumer: string): Promise<AllocationState | undefined> {
    return translated(async () => {
      const [row] = await this.db.query<{ partitions: number; generation: string }>(
        this.book.get('allocation_consumer'),
        [consumer],
      );
      if (row === undefined) return undefined;
      const [members, owners] = await Promise.all([
        this.db.query<MemberRow & { dead: boolean }>(this.book.get('allocation_members'), [
          consumer,
        ]),
        this.db.query<OwnerRow>(this.book.get('assignments_load'), [consumer]),
      ]);
      return allocationState({
        consumer,
        partitions: row.partitions,
        generation: Number(row.generation),
        members: members.map((m) => ({ ...toMemberRecord(consumer, m), dead: m.dead })),
        owners: owners.map(toOwner),
      });
    });
  }

  async applyAllocation(
    loaded: AllocationState,
    changes: AllocationChanges,
    leadership: Leadership,
  ): Promise<RebalanceResult> {
    const result = await translated(() =>
      this.db.transaction((tx) => this.applyWithin(tx, loaded, changes, leadership)),
    );
    if (result.changed) await this.announce(loaded.consumer);
    return result;
  }

  private async applyWithin(
    tx: SqlExecutor,
    loaded: AllocationState,
    changes: AllocationChanges,
    leadership: Leadership,
  ): Promise<RebalanceResult> {
    const { consumer } = loaded;
    const current = await tx.query(this.book.get('lease_check'), [
      ALLOCATOR_LEASE,
      leadership.holder,
      leadership.term,
    ]);
    if (current.length === 0) {
      throw new FencedError(`leadership term ${leadership.term} is over`, { reason: 'deposed' });
    }
    const [row] = await tx.query<{ partitions: number; generation: string }>(
      this.book.get('consumer_for_rebalance'),
      [consumer],
    );
    if (row === undefined) return { generation: 0, expired: [], changed: false };
    const generation = Number(row.generation);
    if (generation !== loaded.generation || row.partitions !== loaded.partitions) {
      return { generation, expired: [], changed: false, stale: true };
    }
    const expired = (
      await tx.query<{ member_id: string }>(this.book.get('members_expire'), [consumer])
    ).map((r) => r.member_id);
    await tx.query(this.book.get('assignments_sync'), [consumer, row.partitions]);
    const next = generation + 1;
    const [applied] = await tx.query<{ changed: number }>(this.book.get('assignments_apply'), [
      consumer,
      changes.grant.map((g) => g.partition),
      changes.grant.map((g) => g.member),
      changes.revoke,
      changes.keep,
      next,
    ]);
    const changed = (applied?.changed ?? 0) > 0 || expired.length > 0;
    if (!changed) return { generation, expired, changed };
    await tx.query(this.book.get('consumer_generation_set'), [consumer, next]);
    return { generation: next, expired, changed };
  }

  private async announce(consumer: string): Promise<void> {
    await translated(() => this.db.query(this.book.get('membership_notify'), [consumer]));
  }
}

interface OwnerRow {
  [key: string]: unknown;
  partition: number;
  member_id: string | null;
  generation: string;
  revoking: boolean;
}

function toOwner(row: OwnerRow): PartitionOwner {
  return {
    partition: row.partition,
    member: row.member_id,
    generation: Number(row.generation),
    revoking: row.revoking,
  };
}

function toMemberRecord(consumer: string, row: MemberRow): MemberRecord {
  return {
    consumer,
    id: row.member_id,
    host: row.host,
    pid: row.pid,
    partitions: row.partitions,
    joinedAt: row.joined_at,
    heartbeatAt: row.heartbeat_at,
    expiresAt: row.expires_at,
  };
}
