/**
 * The membership records as the scripts keep them (see member_join.lua and
 * member_assignment.lua), read back: a member is JSON in the consumer's
 * `members` hash under its id, an owner JSON in its `owners` hash under the
 * partition; times are milliseconds since the epoch on the server's clock.
 * Also what describe shows, built from them.
 */
import { membershipView as kitMembershipView } from '../../core/kit/membership/membership-view.js';
import type { KnownMember } from '../../core/kit/allocation/allocation-state.js';
import type { MemberRecord, PartitionOwner } from '../../core/contracts/membership-store.js';
import type { LeaderView, MembershipView } from '../../core/contracts/membership.js';
import type { Reply } from './redis-connection.js';
import type { StoredLease } from './redis-lease-elector.js';

/** One consumer's allocation as allocation_load.lua reads it, at one instant. */
export interface LoadedMembership {
  /** The server's time when it was read (ms since the epoch). */
  readonly now: number;
  readonly generation: number;
  /** Every member, with whether it was dead then. */
  readonly members: readonly KnownMember[];
  /** The owner records as stored, in partition order. */
  readonly owners: readonly PartitionOwner[];
}

/** A script's reply that must be a list. */
export function listOf(reply: Reply): Reply[] {
  if (!Array.isArray(reply)) throw new Error(`expected a list from redis, got ${String(reply)}`);
  return reply;
}

/** A list of partitions (or generations) as a script returns it. */
export function numbersOf(reply: Reply | undefined): number[] {
  return Array.isArray(reply) ? reply.map(Number) : [];
}

/** HGETALL's flat field, value, field, value... as pairs. */
function pairsOf(reply: Reply | undefined): [string, string][] {
  const flat = Array.isArray(reply) ? reply : [];
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) pairs.push([String(flat[i]), String(flat[i + 1])]);
  return pairs;
}

function objectOf(json: string, what: string): Record<string, unknown> {
  const value: unknown = JSON.parse(json);
  if (typeof value !== 'object' || value === null) throw new Error(`${what} is not a record`);
  return value as Record<string, unknown>;
}

function memberOf(consumer: string, id: string, json: string): MemberRecord {
  const m = objectOf(json, `member ${id} of ${consumer}`);
  return {
    consumer,
    id,
    host: typeof m.host === 'string' ? m.host : '',
    pid: Number(m.pid ?? 0),
    partitions: Number(m.partitions ?? 0),
    joinedAt: new Date(Number(m.joinedAt ?? 0)),
    heartbeatAt: new Date(Number(m.heartbeatAt ?? 0)),
    expiresAt: new Date(Number(m.expiresAt ?? 0)),
  };
}

function ownerOf(partition: string, json: string): PartitionOwner {
  const o = objectOf(json, `owner of partition ${partition}`);
  return {
    partition: Number(partition),
    // Lua's cjson writes a free owner's member as null.
    member: typeof o.member === 'string' ? o.member : null,
    generation: Number(o.generation ?? 0),
    revoking: o.revoking === true,
  };
}

/** allocation_load.lua's reply: a member is dead once its expiry is not after the server's now. */
export function loadedMembership(consumer: string, reply: Reply): LoadedMembership {
  const [now, generation, members, owners] = listOf(reply);
  const at = Number(now);
  return {
    now: at,
    generation: Number(generation ?? 0),
    members: pairsOf(members).map(([id, json]) => {
      const record = memberOf(consumer, id, json);
      return { ...record, dead: record.expiresAt.getTime() <= at };
    }),
    owners: pairsOf(owners)
      .map(([partition, json]) => ownerOf(partition, json))
      .sort((a, b) => a.partition - b.partition),
  };
}

/** What describe shows: every member stored (oldest first), each owner, and the allocator's leader. */
export function membershipView(
  loaded: LoadedMembership,
  lease: StoredLease | undefined,
): MembershipView {
  return kitMembershipView(loaded.generation, loaded.members, loaded.owners, leaderView(lease));
}

function leaderView(lease: StoredLease | undefined): LeaderView | undefined {
  if (lease === undefined) return undefined;
  return {
    holder: lease.holder,
    host: lease.host,
    pid: lease.pid,
    term: lease.term,
    since: lease.acquiredAt,
    expiresAt: lease.expiresAt,
  };
}
