/**
 * The member directory of a server whose provider keeps none (Kafka, memory):
 * this server's own members, in memory. Workers then call the server that
 * started their member; nothing is passed on, and nothing outlives the server.
 */
import type {
  GatewayServerRecord,
  HttpMemberEnd,
  HttpMemberRecord,
  MemberDirectory,
  MoveTerms,
  NewHttpMember,
} from '../../core/contracts/member-directory.js';

interface Entry {
  record: HttpMemberRecord;
  changedAt: number;
}

export class LocalMemberDirectory implements MemberDirectory {
  private readonly members = new Map<string, Entry>();
  private readonly servers = new Map<string, { url: string; seenAt: number }>();

  announce(server: string, url: string): Promise<void> {
    this.servers.set(server, { url, seenAt: Date.now() });
    return Promise.resolve();
  }

  withdraw(server: string): Promise<void> {
    for (const entry of this.members.values()) {
      if (entry.record.server === server && entry.record.ended === null) {
        this.change(entry, { server: null });
      }
    }
    this.servers.delete(server);
    return Promise.resolve();
  }

  server(id: string): Promise<GatewayServerRecord | undefined> {
    const found = this.servers.get(id);
    return Promise.resolve(
      found === undefined ? undefined : { url: found.url, silentMs: Date.now() - found.seenAt },
    );
  }

  register(member: NewHttpMember): Promise<void> {
    this.members.set(member.id, { record: { ...member, ended: null }, changedAt: Date.now() });
    return Promise.resolve();
  }

  find(id: string): Promise<HttpMemberRecord | undefined> {
    return Promise.resolve(this.members.get(id)?.record);
  }

  move(id: string, from: string | null, to: string, how: MoveTerms): Promise<boolean> {
    const entry = this.members.get(id);
    const home = from === null ? undefined : this.servers.get(from);
    const silent = home === undefined || Date.now() - home.seenAt >= how.deadAfterMs;
    const moves =
      entry?.record.server === from && entry.record.ended === null && (how.forced || silent);
    if (moves) this.change(entry, { server: to });
    return Promise.resolve(moves);
  }

  end(id: string, server: string, how: HttpMemberEnd): Promise<boolean> {
    const entry = this.members.get(id);
    const ends = entry?.record.server === server && entry.record.ended === null;
    if (ends) this.change(entry, { server: null, ended: how });
    return Promise.resolve(ends);
  }

  hostedBy(server: string): Promise<string[]> {
    const ids = [...this.members.values()]
      .filter(({ record }) => record.server === server && record.ended === null)
      .map(({ record }) => record.id);
    return Promise.resolve(ids);
  }

  sweep(olderThanMs: number): Promise<void> {
    // At or before: the clock counts whole milliseconds, so "older than 0 ms" includes this one.
    const before = Date.now() - olderThanMs;
    for (const [id, server] of this.servers) if (server.seenAt <= before) this.servers.delete(id);
    for (const [id, entry] of this.members) {
      const homeless = entry.record.server === null || !this.servers.has(entry.record.server);
      if (entry.changedAt <= before && (entry.record.ended !== null || homeless)) {
        this.members.delete(id);
      }
    }
    return Promise.resolve();
  }

  private change(entry: Entry, change: Partial<HttpMemberRecord>): void {
    entry.record = { ...entry.record, ...change };
    entry.changedAt = Date.now();
  }
}
