/**
 * API keys for the HTTP API: made, listed, revoked and checked here, stored
 * by the provider (contracts/keys.ts).
 *
 * A key reads `mrk_<id>_<secret>`: the id (16 hex digits) finds the stored
 * key and is safe to show and log; the secret (32 random bytes, base64url)
 * is shown once, when the key is made, and only its SHA-256 is stored. A
 * fast hash is the right one for a secret of 256 random bits (a slow,
 * salted hash protects guessable passwords; nobody guesses 2^256), and it
 * keeps a check cheap enough to run on every request. The hashes are compared
 * in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { KEY_SCOPES, type ApiKeyRecord, type KeyScope, type KeyStore } from '../contracts/keys.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { clipped, quote } from '../quote.js';

const KEY = /^mrk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const KEY_ID = /^[0-9a-f]{16}$/;
/** Letters, digits and `_ . : @ -`, so a name lists and logs cleanly. */
const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9_.:@ -]{0,63}$/;

/** A key just made: the only time its whole text is known. */
export interface CreatedApiKey extends ApiKeyRecord {
  /** `mrk_<id>_<secret>`: send as `Authorization: Bearer <key>`. */
  readonly key: string;
}

export interface NewKeyOptions {
  /** What the key is for, shown in listings: `billing-worker`, `ci`. */
  readonly name: string;
  readonly scopes: readonly KeyScope[];
}

function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

export function validateKeyName(value: unknown): string {
  if (typeof value !== 'string' || !KEY_NAME.test(value)) {
    throw new ValidationError(
      `invalid key name ${quote(value)}: use a letter or digit, then letters, digits, spaces or "_ . : @ -" (at most 64 characters)`,
      { reason: 'invalid_key_name', details: { name: clipped(value) } },
    );
  }
  return value;
}

export function validateScopes(value: unknown): KeyScope[] {
  const scopes = Array.isArray(value) ? (value as unknown[]) : [];
  const unknown = scopes.filter((scope) => !KEY_SCOPES.includes(scope as KeyScope));
  if (scopes.length === 0 || unknown.length > 0) {
    throw new ValidationError(
      `a key needs one or more scopes of ${KEY_SCOPES.join(', ')}${unknown.length > 0 ? `; not ${quote(unknown[0])}` : ''}`,
      { reason: 'invalid_scope', details: { scopes: clipped(value) } },
    );
  }
  return KEY_SCOPES.filter((scope) => scopes.includes(scope));
}

export function validateKeyId(value: unknown): string {
  if (typeof value !== 'string' || !KEY_ID.test(value)) {
    throw new ValidationError(
      `invalid key id ${quote(value)}: a key id is 16 hex digits, as \`millrace keys list\` shows`,
      { reason: 'invalid_key_id', details: { id: clipped(value) } },
    );
  }
  return value;
}

/** Whether a key's scopes allow an action that needs `scope`. */
export function keyAllows(key: ApiKeyRecord, scope: KeyScope): boolean {
  return key.scopes.includes('admin') || key.scopes.includes(scope);
}

export class ApiKeys {
  constructor(
    private readonly store: KeyStore,
    private readonly assertOpen: () => void,
  ) {}

  async create(options: NewKeyOptions): Promise<CreatedApiKey> {
    this.assertOpen();
    const name = validateKeyName(options.name);
    const scopes = validateScopes(options.scopes);
    const id = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const record = await this.store.create({ id, name, scopes, secretHash: hashSecret(secret) });
    return { ...record, key: `mrk_${id}_${secret}` };
  }

  async list(): Promise<ApiKeyRecord[]> {
    this.assertOpen();
    return this.store.list();
  }

  /** Revokes a key by its id: refused from then on, by every server. */
  async revoke(id: string): Promise<void> {
    this.assertOpen();
    if (!(await this.store.revoke(validateKeyId(id)))) {
      throw new NotFoundError(`no API key with id ${id}`, {
        reason: 'key_not_found',
        details: { id },
      });
    }
  }

  /** Whether any key is in force: with none, a server answers loopback only. */
  async anyActive(): Promise<boolean> {
    this.assertOpen();
    return this.store.anyActive();
  }

  /** The key a presented text is, if it is one in force (not revoked); never throws for bad text. */
  async verify(presented: string): Promise<ApiKeyRecord | undefined> {
    this.assertOpen();
    const match = KEY.exec(presented);
    if (match === null) return undefined;
    const [, id, secret] = match as unknown as [string, string, string];
    const stored = await this.store.find(id);
    if (stored === undefined || stored.revokedAt !== undefined) return undefined;
    const hash = hashSecret(secret);
    if (stored.secretHash.length !== hash.length || !timingSafeEqual(stored.secretHash, hash)) {
      return undefined;
    }
    return {
      id,
      name: stored.name,
      scopes: stored.scopes,
      createdAt: stored.createdAt,
      revokedAt: undefined,
    };
  }
}
