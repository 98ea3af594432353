/**
 * API keys kept as rows of a key-value table outside SQL (Kafka's compacted
 * `<prefix>._keys` topic, a Redis hash): every server over the backend sees
 * the same keys. Only the secret's hash is stored.
 */
import type {
  ApiKeyRecord,
  KeyScope,
  KeyStore,
  NewApiKey,
  StoredApiKey,
} from '../../contracts/keys.js';

/** The rows, by key id. */
export interface KeyTable {
  get(id: string): Promise<StoredKey | undefined>;
  snapshot(): Promise<ReadonlyMap<string, StoredKey>>;
  write(entries: readonly (readonly [string, StoredKey])[]): Promise<void>;
}

export interface StoredKey {
  readonly id: string;
  readonly name: string;
  readonly scopes: readonly KeyScope[];
  /** SHA-256 of the secret, base64. */
  readonly secretHash: string;
  readonly createdAt: string;
  readonly revokedAt?: string;
}

export function decodeKey(json: unknown): StoredKey {
  return json as StoredKey;
}

function toRecord(stored: StoredKey): ApiKeyRecord {
  return {
    id: stored.id,
    name: stored.name,
    scopes: [...stored.scopes],
    createdAt: new Date(stored.createdAt),
    revokedAt: stored.revokedAt === undefined ? undefined : new Date(stored.revokedAt),
  };
}

export class TabledKeys implements KeyStore {
  constructor(private readonly table: KeyTable) {}

  async create(key: NewApiKey): Promise<ApiKeyRecord> {
    const stored: StoredKey = {
      id: key.id,
      name: key.name,
      scopes: key.scopes,
      secretHash: key.secretHash.toString('base64'),
      createdAt: new Date().toISOString(),
    };
    await this.table.write([[key.id, stored]]);
    return toRecord(stored);
  }

  async find(id: string): Promise<StoredApiKey | undefined> {
    const stored = await this.table.get(id);
    if (stored === undefined) return undefined;
    return { ...toRecord(stored), secretHash: Buffer.from(stored.secretHash, 'base64') };
  }

  async list(): Promise<ApiKeyRecord[]> {
    const rows = await this.table.snapshot();
    return [...rows.values()]
      .map(toRecord)
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id));
  }

  async revoke(id: string): Promise<boolean> {
    const stored = await this.table.get(id);
    if (stored === undefined) return false;
    if (stored.revokedAt === undefined) {
      await this.table.write([[id, { ...stored, revokedAt: new Date().toISOString() }]]);
    }
    return true;
  }

  async anyActive(): Promise<boolean> {
    const rows = await this.table.snapshot();
    return [...rows.values()].some((key) => key.revokedAt === undefined);
  }
}
