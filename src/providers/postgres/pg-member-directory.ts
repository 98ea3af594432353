/** Members over HTTP and the servers hosting them, in `http_members` and `gateway_servers` (migration 0008). */
import type {
  GatewayServerRecord,
  HttpMemberEnd,
  HttpMemberRecord,
  MemberDirectory,
  MoveTerms,
  NewHttpMember,
} from '../../core/contracts/member-directory.js';
import type { JsonValue } from '../../core/json.js';
import type { Database } from './database.js';
import { translated } from './errors.js';
import type { QueryName } from './sql/generated.js';
import type { QueryBook } from './sql.js';

interface MemberRow {
  [key: string]: unknown;
  id: string;
  consumer: string;
  token_hash: Uint8Array;
  spec: JsonValue;
  server: string | null;
  ended: HttpMemberEnd | null;
}

export class PgMemberDirectory implements MemberDirectory {
  constructor(
    private readonly db: Database,
    private readonly book: QueryBook,
  ) {}

  async announce(server: string, url: string): Promise<void> {
    await this.run('gateway_server_announce', [server, url]);
  }

  async withdraw(server: string): Promise<void> {
    await this.run('gateway_server_withdraw', [server]);
  }

  async server(id: string): Promise<GatewayServerRecord | undefined> {
    const [row] = await this.run<{ url: string; silent_ms: number }>('gateway_server_get', [id]);
    return row === undefined ? undefined : { url: row.url, silentMs: row.silent_ms };
  }

  async register(member: NewHttpMember): Promise<void> {
    await this.run('http_member_insert', [
      member.id,
      member.consumer,
      member.tokenHash,
      JSON.stringify(member.spec),
      member.server,
    ]);
  }

  async find(id: string): Promise<HttpMemberRecord | undefined> {
    const [row] = await this.run<MemberRow>('http_member_get', [id]);
    if (row === undefined) return undefined;
    return {
      id: row.id,
      consumer: row.consumer,
      // PGlite answers bytea as a Uint8Array, node-postgres as a Buffer.
      tokenHash: Buffer.from(row.token_hash),
      spec: row.spec,
      server: row.server,
      ended: row.ended,
    };
  }

  async move(id: string, from: string | null, to: string, how: MoveTerms): Promise<boolean> {
    const values = [id, from, to, how.forced, Math.round(how.deadAfterMs)];
    return (await this.run('http_member_move', values)).length > 0;
  }

  async end(id: string, server: string, how: HttpMemberEnd): Promise<boolean> {
    return (await this.run('http_member_end', [id, server, how])).length > 0;
  }

  async hostedBy(server: string): Promise<string[]> {
    const rows = await this.run<{ id: string }>('http_members_hosted', [server]);
    return rows.map((row) => row.id);
  }

  async sweep(olderThanMs: number): Promise<void> {
    await this.run('http_members_sweep', [Math.round(olderThanMs)]);
  }

  private run<T extends Record<string, unknown>>(
    query: QueryName,
    values: unknown[],
  ): Promise<T[]> {
    return translated(() => this.db.query<T>(this.book.get(query), values));
  }
}
