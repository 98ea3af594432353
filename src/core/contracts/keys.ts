/**
 * API keys, as a provider stores them: only a hash of each key's secret is
 * kept, beside the public part that finds it. Every server over the same
 * provider sees the same keys, so a key made on one works on all of them.
 */

/** What a key lets its holder do over HTTP; `admin` includes every other scope. */
export const KEY_SCOPES = ['admin', 'publish', 'consume', 'read'] as const;
export type KeyScope = (typeof KEY_SCOPES)[number];

/** A key as listed: never its secret. */
export interface ApiKeyRecord {
  /** The public part of the key, also the handle to revoke it by. */
  readonly id: string;
  readonly name: string;
  readonly scopes: readonly KeyScope[];
  readonly createdAt: Date;
  /** Set once revoked; a revoked key is refused and stays listed. */
  readonly revokedAt: Date | undefined;
}

export interface StoredApiKey extends ApiKeyRecord {
  /** SHA-256 of the key's secret part. */
  readonly secretHash: Buffer;
}

export interface NewApiKey {
  readonly id: string;
  readonly name: string;
  readonly scopes: readonly KeyScope[];
  readonly secretHash: Buffer;
}

export interface KeyStore {
  /** Stores a new key; ids are random, so a clash is a bug, not a conflict to handle. */
  create(key: NewApiKey): Promise<ApiKeyRecord>;
  find(id: string): Promise<StoredApiKey | undefined>;
  /** Every key, revoked ones included, oldest first. */
  list(): Promise<ApiKeyRecord[]>;
  /** Marks a key revoked; false if there is no such key. Revoking twice is a no-op. */
  revoke(id: string): Promise<boolean>;
  /** Whether any key is not revoked: a server with none answers loopback only. */
  anyActive(): Promise<boolean>;
}
