/**
 * The members this server hosts for workers over HTTP, and their tokens. A
 * member's token is random, sent once, stored only as its SHA-256 and
 * compared in constant time; it is good for that member alone and ends with
 * it. An ended member is remembered for a while, so its worker's late calls
 * are told it ended (and its commits `fenced`) rather than "not found".
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { ConsumerOptions } from '../../core/consumer/options.js';
import type { Handler } from '../../core/consumer/handler.js';
import {
  FencedError,
  NotFoundError,
  OverloadedError,
  UnauthorizedError,
} from '../../core/errors.js';
import type { Millrace } from '../../millrace.js';
import { HostedMember, type HostedMemberTerms, type MemberEnd } from './hosted-member.js';
import { LagCache } from './lag-cache.js';

/** The header a worker sends its member token in. */
export const MEMBER_TOKEN_HEADER = 'millrace-member-token';

/** How long an ended member's id and token hash are remembered. */
const ENDED_KEPT_MS = 15 * 60_000;

export interface MemberStart {
  readonly consumer: Omit<ConsumerOptions, 'handler' | 'ackTimeoutMs' | 'concurrency'>;
  readonly terms: HostedMemberTerms;
  /** The worker's own name for itself (a host name), shown in the consumer's status. */
  readonly worker: string;
}

export interface StartedMember {
  readonly member: HostedMember;
  /** Sent to the worker once; only its hash is kept. */
  readonly token: string;
}

interface Ended {
  readonly tokenHash: Buffer;
  readonly how: MemberEnd;
  readonly at: number;
}

function hashOf(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

export class MemberDesk {
  private readonly members = new Map<string, { member: HostedMember; tokenHash: Buffer }>();
  private readonly ended = new Map<string, Ended>();
  private closed = false;
  /** The lag fetches report, read for all the members of a consumer together. */
  readonly lag: LagCache;

  constructor(
    private readonly millrace: Millrace,
    private readonly maxMembers: number,
  ) {
    this.lag = new LagCache(millrace);
  }

  async start(request: MemberStart): Promise<StartedMember> {
    if (this.closed)
      throw new OverloadedError('the server is stopping', 1000, { reason: 'stopping' });
    if (this.members.size >= this.maxMembers) {
      throw new OverloadedError(`this server hosts ${this.maxMembers} members, its most`, 1000, {
        reason: 'too_many_members',
      });
    }
    const id = `http-${randomUUID()}`;
    const token = `mmt_${randomBytes(32).toString('base64url')}`;
    const member = new HostedMember(
      { id, host: request.worker, pid: 0 },
      request.consumer.name,
      request.terms,
      (ended, how) => this.forget(ended, how),
    );
    const consumer = this.millrace.consumer(
      {
        ...request.consumer,
        handler: member.handler as unknown as Handler,
        concurrency: request.terms.maxInFlight,
        // Deadlines run from a delivery's fetch (HostedMember), not from its parking.
        ackTimeoutMs: 0,
        // A stop gives every delivery back first, so the handlers end at once.
        stopTimeoutMs: 5000,
      },
      member.info,
    );
    this.members.set(id, { member, tokenHash: hashOf(token) });
    try {
      await member.start(consumer);
    } catch (error) {
      await member.end('closed');
      throw error;
    }
    return { member, token };
  }

  /**
   * The member `id` if `token` is its token. A member that ended is a
   * FencedError (its deliveries are someone else's); an id never seen, or a
   * token that is not the member's, the same NotFoundError or
   * UnauthorizedError whatever the member.
   */
  get(id: string, token: string | undefined): HostedMember {
    const live = this.members.get(id);
    const tokenHash = live?.tokenHash ?? this.ended.get(id)?.tokenHash;
    if (tokenHash === undefined) {
      throw new NotFoundError(`no member ${id} on this server`, { reason: 'unknown_member' });
    }
    if (token === undefined || !timingSafeEqual(hashOf(token), tokenHash)) {
      throw new UnauthorizedError(
        `send member ${id}'s token in the ${MEMBER_TOKEN_HEADER} header`,
        {
          reason: 'invalid_member_token',
        },
      );
    }
    if (live === undefined) {
      const ended = this.ended.get(id) as Ended;
      throw new FencedError(`member ${id} ${ended.how}: its deliveries are another member's now`, {
        reason: `member_${ended.how}`,
      });
    }
    return live.member;
  }

  /** Whether `id` names a member that ended, with this token: its commits are all `fenced`. */
  endedWith(id: string, token: string | undefined): boolean {
    const ended = this.ended.get(id);
    return (
      ended !== undefined && token !== undefined && timingSafeEqual(hashOf(token), ended.tokenHash)
    );
  }

  get size(): number {
    return this.members.size;
  }

  /** Ends every member: their deliveries go back, their partitions move on at once. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.members.values()].map(({ member }) => member.end('closed')));
  }

  private forget(member: HostedMember, how: MemberEnd): void {
    const entry = this.members.get(member.info.id);
    if (entry === undefined) return;
    this.members.delete(member.info.id);
    const now = Date.now();
    this.ended.set(member.info.id, { tokenHash: entry.tokenHash, how, at: now });
    for (const [id, ended] of this.ended) {
      if (now - ended.at < ENDED_KEPT_MS) break;
      this.ended.delete(id);
    }
  }
}
