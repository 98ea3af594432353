/** API keys in the `api_keys` table (migration 0007). */
import type {
  ApiKeyRecord,
  KeyScope,
  KeyStore,
  NewApiKey,
  StoredApiKey,
} from '../../core/contracts/keys.js';
import type { Database } from './database.js';
import { translated } from './errors.js';
import type { QueryBook } from './sql.js';

interface KeyRow {
  [key: string]: unknown;
  id: string;
  name: string;
  scopes: string[];
  created_at: Date;
  revoked_at: Date | null;
  secret_hash?: Uint8Array;
}

function toRecord(row: KeyRow): ApiKeyRecord {
  return {
    id: row.id,
    name: row.name,
    scopes: row.scopes as KeyScope[],
    createdAt: row.created_at,
    revokedAt: row.revoked_at ?? undefined,
  };
}

export class PgKeys implements KeyStore {
  constructor(
    private readonly db: Database,
    private readonly book: QueryBook,
  ) {}

  async create(key: NewApiKey): Promise<ApiKeyRecord> {
    const [row] = await translated(() =>
      this.db.query<KeyRow>(this.book.get('api_key_insert'), [
        key.id,
        key.name,
        key.scopes,
        key.secretHash,
      ]),
    );
    return toRecord(row as KeyRow);
  }

  async find(id: string): Promise<StoredApiKey | undefined> {
    const [row] = await translated(() => this.db.query<KeyRow>(this.book.get('api_key_get'), [id]));
    if (row === undefined) return undefined;
    // PGlite answers bytea as a Uint8Array, node-postgres as a Buffer.
    return { ...toRecord(row), secretHash: Buffer.from(row.secret_hash as Uint8Array) };
  }

  async list(): Promise<ApiKeyRecord[]> {
    const rows = await translated(() => this.db.query<KeyRow>(this.book.get('api_keys_list')));
    return rows.map(toRecord);
  }

  async revoke(id: string): Promise<boolean> {
    const rows = await translated(() => this.db.query(this.book.get('api_key_revoke'), [id]));
    return rows.length > 0;
  }

  async anyActive(): Promise<boolean> {
    const [row] = await translated(() =>
      this.db.query<{ active: boolean }>(this.book.get('api_keys_any_active')),
    );
    return row?.active === true;
  }
}
