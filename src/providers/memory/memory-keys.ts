/** API keys held in memory, shared by every provider over the same MemoryData. */
import type { ApiKeyRecord, KeyStore, NewApiKey, StoredApiKey } from '../../core/contracts/keys.js';
import { promised } from '../../core/kit/promised.js';

function listed(key: StoredApiKey): ApiKeyRecord {
  const { id, name, scopes, createdAt, revokedAt } = key;
  return { id, name, scopes, createdAt, revokedAt };
}

export class MemoryKeys implements KeyStore {
  constructor(
    private readonly keys: Map<string, StoredApiKey>,
    private readonly assertOpen: () => void,
  ) {}

  create(key: NewApiKey): Promise<ApiKeyRecord> {
    return promised(() => {
      this.assertOpen();
      const stored: StoredApiKey = { ...key, createdAt: new Date(), revokedAt: undefined };
      this.keys.set(key.id, stored);
      return listed(stored);
    });
  }

  find(id: string): Promise<StoredApiKey | undefined> {
    return promised(() => {
      this.assertOpen();
      return this.keys.get(id);
    });
  }

  list(): Promise<ApiKeyRecord[]> {
    return promised(() => {
      this.assertOpen();
      return [...this.keys.values()].map(listed);
    });
  }

  revoke(id: string): Promise<boolean> {
    return promised(() => {
      this.assertOpen();
      const stored = this.keys.get(id);
      if (stored === undefined) return false;
      if (stored.revokedAt === undefined) this.keys.set(id, { ...stored, revokedAt: new Date() });
      return true;
    });
  }

  anyActive(): Promise<boolean> {
    return promised(() => {
      this.assertOpen();
      return [...this.keys.values()].some((key) => key.revokedAt === undefined);
    });
  }
}
