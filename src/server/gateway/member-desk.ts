/**
 * The members this server hosts for workers over HTTP, and where the others
 * are. A member's token is random, sent once, stored only as its SHA-256
 * (in the provider's member directory, so every server can check it) and
 * compared in constant time; it is good for that member alone and ends with
 * it. A call for a member hosted elsewhere is passed on to its server
 * (member-calls.ts); a member whose server is gone, or stopped, is taken
 * over by the server the worker calls next. An ended member is remembered
 * for a while, so its worker's late calls are told it ended (and its
 * commits `fenced`) rather than "not found".
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { HttpMemberRecord, MemberDirectory } from '../../core/contracts/member-directory.js';
import type { ConsumerOptions } from '../../core/consumer/options.js';
import type { Handler } from '../../core/consumer/handler.js';
import {
  FencedError,
  NotFoundError,
  OverloadedError,
  UnauthorizedError,
} from '../../core/errors.js';
import type { JsonValue } from '../../core/json.js';
import type { Logger } from '../../core/logger.js';
import type { Millrace } from '../../millrace.js';
import { HostedMember, type HostedMemberTerms, type MemberEnd } from './hosted-member.js';
import { LagCache } from './lag-cache.js';
import { LocalMemberDirectory } from './local-directory.js';
import { ServerPresence, type PresenceTiming } from './server-presence.js';

/** The header a worker sends its member token in. */
export const MEMBER_TOKEN_HEADER = 'millrace-member-token';

/** Members hosted elsewhere whose server is remembered, at most. */
const ELSEWHERE_KEPT = 10_000;

/** How long an ended member's id and token hash are remembered here. */
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

/** Where a call for a member goes: this server serves it, or `url`'s server (`server`) does. */
export type MemberRoute = undefined | { readonly server: string; readonly url: string };

interface Hosted {
  readonly member: HostedMember;
  readonly tokenHash: Buffer;
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
  private readonly members = new Map<string, Hosted>();
  private readonly ended = new Map<string, Ended>();
  /** Members hosted by other servers, as last found: their calls go straight there. */
  private readonly elsewhere = new Map<string, { server: string; url: string }>();
  private readonly adopting = new Map<string, Promise<void>>();
  private readonly directory: MemberDirectory;
  private closed = false;
  readonly presence: ServerPresence;
  /** The lag fetches report, read for all the members of a consumer together. */
  readonly lag: LagCache;

  constructor(
    private readonly millrace: Millrace,
    private readonly maxMembers: number,
    timing: PresenceTiming,
    private readonly logger: Logger,
  ) {
    this.lag = new LagCache(millrace);
    this.directory = millrace.httpMemberDirectory ?? new LocalMemberDirectory();
    this.presence = new ServerPresence(
      this.directory,
      timing,
      (hosted) => this.keepOnly(hosted),
      logger,
    );
  }

  async start(request: MemberStart): Promise<StartedMember> {
    if (this.closed) throw stopping();
    if (this.members.size >= this.maxMembers) {
      throw new OverloadedError(`this server hosts ${this.maxMembers} members, its most`, 1000, {
        reason: 'too_many_members',
      });
    }
    const id = `http-${randomUUID()}`;
    const token = `mmt_${randomBytes(32).toString('base64url')}`;
    const tokenHash = hashOf(token);
    await this.directory.register({
      id,
      consumer: request.consumer.name,
      tokenHash,
      spec: request as unknown as JsonValue,
      server: this.presence.id,
    });
    try {
      return { member: await this.host(id, id, tokenHash, request), token };
    } catch (error) {
      // It never ran: no other server should take it on.
      await this.directory.end(id, this.presence.id, 'stopped').catch(() => undefined);
      throw error;
    }
  }

  /**
   * Where a call for member `id` is served, once its token is checked: here
   * (undefined), or on the server that hosts it. A member nobody hosts, or
   * whose server has been silent past its lease, is taken over here. A call
   * another server passed on (`forwardedBy`) is served here or refused,
   * never passed on again.
   */
  async route(id: string, token: string | undefined, forwardedBy?: string): Promise<MemberRoute> {
    if (this.members.has(id) || this.ended.has(id)) {
      if (this.presence.fresh) return undefined;
      await this.presence.renew();
      if (this.members.has(id) || this.ended.has(id)) return undefined;
    }
    const known = this.elsewhere.get(id);
    if (known !== undefined && forwardedBy === undefined) return known;
    const record = await this.directory.find(id);
    // Unknown: the handler answers 404, as for any id never seen.
    if (record === undefined) return undefined;
    checkToken(id, record.tokenHash, token);
    if (record.ended !== null) {
      this.remember(id, record.tokenHash, record.ended);
      return undefined;
    }
    if (record.server !== null && record.server !== this.presence.id) {
      const home = await this.directory.server(record.server);
      if (home !== undefined && home.silentMs < this.presence.timing.deadAfterMs) {
        if (forwardedBy !== undefined) throw moving(id);
        const route = { server: record.server, url: home.url };
        this.elsewhere.set(id, route);
        // Only a cache, bounded: the oldest entry goes, and its next call asks the directory.
        if (this.elsewhere.size > ELSEWHERE_KEPT) {
          this.elsewhere.delete(this.elsewhere.keys().next().value as string);
        }
        return route;
      }
    }
    await this.adopt(record, false);
    return undefined;
  }

  /**
   * The server hosting `id` did not answer a call passed on to it: refused
   * (nobody listens there) or silent. A refusal is proof enough to take the
   * member over; silence, only once the provider has not heard from it for
   * `deadAfterMs`. Otherwise the worker is told to try again.
   */
  async unreachable(id: string, server: string, refused: boolean): Promise<void> {
    this.elsewhere.delete(id);
    const record = await this.directory.find(id);
    if (record === undefined || record.ended !== null || record.server !== server) return;
    await this.adopt(record, refused);
  }

  /** The server a call was passed on to does not host the member after all: ask again next time. */
  misdirected(id: string): void {
    this.elsewhere.delete(id);
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
      throw new NotFoundError(`no member ${id}`, { reason: 'unknown_member' });
    }
    checkToken(id, tokenHash, token);
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

  /**
   * Ends every member here: their deliveries go back, their partitions move
   * on at once, and the server a worker calls next takes its member over.
   */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.members.values()].map(({ member }) => member.end('closed')));
    await this.presence.end();
  }

  private async host(
    id: string,
    memberId: string,
    tokenHash: Buffer,
    request: MemberStart,
  ): Promise<HostedMember> {
    const member = new HostedMember(
      id,
      { id: memberId, host: request.worker, pid: 0 },
      request.consumer.name,
      request.terms,
      (ended, how) => this.forget(ended, how),
      memberId !== id,
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
    this.members.set(id, { member, tokenHash });
    try {
      await member.start(consumer);
    } catch (error) {
      await member.end('closed');
      throw error;
    }
    return member;
  }

  /** Takes a member over: one call at a time per member, one server of those trying. */
  private adopt(record: HttpMemberRecord, forced: boolean): Promise<void> {
    let adopting = this.adopting.get(record.id);
    if (adopting !== undefined) return adopting;
    adopting = (async () => {
      if (this.closed) throw stopping();
      if (record.server !== this.presence.id) {
        const moved = await this.directory.move(record.id, record.server, this.presence.id, {
          forced,
          deadAfterMs: this.presence.timing.deadAfterMs,
        });
        if (!moved) throw moving(record.id);
      }
      // A new identity among the consumer's members: the one the old server
      // ran may still hold partitions until its session ends.
      const memberId = `${record.id}.${randomBytes(3).toString('hex')}`;
      await this.host(record.id, memberId, record.tokenHash, record.spec as unknown as MemberStart);
    })().finally(() => this.adopting.delete(record.id));
    this.adopting.set(record.id, adopting);
    return adopting;
  }

  /** After a lapse of this server's lease: members another server took over end here. */
  private keepOnly(hosted: ReadonlySet<string>): void {
    for (const [id, { member }] of this.members) {
      if (hosted.has(id)) continue;
      // Gone from here at once: its calls find its new server from now on.
      this.members.delete(id);
      void member.end('moved');
    }
  }

  /**
   * A member ended here. Stopped or expired, it is ended for every server,
   * if this one still hosts it: one frozen past its lease may find the
   * member's clock ran out here while it went on elsewhere. Until that is
   * written, the member's calls still find it here, ending, rather than
   * finding it hosted nowhere and taking it on again.
   */
  private async forget(member: HostedMember, how: MemberEnd): Promise<void> {
    const entry = this.members.get(member.id);
    if (entry?.member !== member) return;
    if (how === 'stopped' || how === 'expired') {
      const ended = await this.directory
        .end(member.id, this.presence.id, how)
        .catch((error: unknown) => {
          this.logger.warn(
            { err: error, member: member.id },
            'could not record that a member ended',
          );
          return false;
        });
      if (ended) this.remember(member.id, entry.tokenHash, how);
    }
    if (this.members.get(member.id)?.member === member) this.members.delete(member.id);
  }

  private remember(id: string, tokenHash: Buffer, how: MemberEnd): void {
    const now = Date.now();
    this.ended.set(id, { tokenHash, how, at: now });
    for (const [old, ended] of this.ended) {
      if (now - ended.at < ENDED_KEPT_MS) break;
      this.ended.delete(old);
    }
  }
}

function checkToken(id: string, tokenHash: Buffer, token: string | undefined): void {
  if (token === undefined || !timingSafeEqual(hashOf(token), tokenHash)) {
    throw new UnauthorizedError(`send member ${id}'s token in the ${MEMBER_TOKEN_HEADER} header`, {
      reason: 'invalid_member_token',
    });
  }
}

function stopping(): OverloadedError {
  return new OverloadedError('the server is stopping', 1000, { reason: 'stopping' });
}

function moving(id: string): OverloadedError {
  return new OverloadedError(`member ${id} is moving to another server; call again`, 1000, {
    reason: 'member_moving',
  });
}
