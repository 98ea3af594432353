/**
 * Members over HTTP, as every server over one provider sees them: each
 * member's token hash, the terms it was started with, and the server that
 * hosts it now (its home). A worker may send a call to any server; a server
 * that is not the member's home passes the call on, and a server finds a
 * home gone silent (or gone) and takes its members over. Only a member's
 * start, move and end write here: its deliveries never do, so the happy
 * path writes nothing per event.
 *
 * Servers announce themselves with the address others reach them at, and
 * renew it; how long one has been silent is measured by the provider's
 * clock, so servers' clocks need not agree.
 */
import type { JsonValue } from '../json.js';

/** How a member ended: stopped by its worker, or silent past its session timeout. */
export type HttpMemberEnd = 'stopped' | 'expired';

export interface NewHttpMember {
  readonly id: string;
  readonly consumer: string;
  /** SHA-256 of the member's token. */
  readonly tokenHash: Buffer;
  /** What the member was started with, enough to start it again on another server. */
  readonly spec: JsonValue;
  /** The server hosting it. */
  readonly server: string;
}

export interface HttpMemberRecord extends Omit<NewHttpMember, 'server'> {
  /** The server hosting it; null: none (its last one stopped), the next call's server takes it. */
  readonly server: string | null;
  /** Set once the member ended; an ended member is kept a while, so late calls hear how. */
  readonly ended: HttpMemberEnd | null;
}

export interface GatewayServerRecord {
  /** Where other servers send calls for the members it hosts. */
  readonly url: string;
  /** Milliseconds since its last announcement, by the provider's clock. */
  readonly silentMs: number;
}

export interface MoveTerms {
  readonly forced: boolean;
  readonly deadAfterMs: number;
}

export interface MemberDirectory {
  /** Records (or renews) a server and its address. */
  announce(server: string, url: string): Promise<void>;
  /** A stopping server: its members are left without a home and its record goes. */
  withdraw(server: string): Promise<void>;
  server(id: string): Promise<GatewayServerRecord | undefined>;
  register(member: NewHttpMember): Promise<void>;
  find(id: string): Promise<HttpMemberRecord | undefined>;
  /**
   * Makes `to` the member's home if its home is still `from`, it has not
   * ended, and `from` has been silent `deadAfterMs` (unless `forced`: `from`
   * refused the connection or said it does not host the member). False if
   * another server moved it first, it ended, or `from` is alive. A move and
   * `from`'s announcements take turns: once `from` has announced itself
   * again, `hostedBy` tells it of every move made until then.
   */
  move(id: string, from: string | null, to: string, how: MoveTerms): Promise<boolean>;
  /** Marks the member ended, if `server` is still its home; false otherwise. */
  end(id: string, server: string, how: HttpMemberEnd): Promise<boolean>;
  /** The members whose home is `server`. */
  hostedBy(server: string): Promise<string[]>;
  /**
   * Forgets members that ended, or whose home has been silent, more than
   * `olderThanMs` ago, and servers silent that long.
   */
  sweep(olderThanMs: number): Promise<void>;
}
