/**
 * `/v1/keys`: what it accepts and returns. The schema checks shape; the core
 * checks names and scopes with the library's reasons.
 */
import { z } from 'zod';
import type { ApiKeyRecord } from '../../core/contracts/keys.js';
import type { CreatedApiKey } from '../../core/keys/api-keys.js';

export const CreateKeyBody = z.strictObject({
  name: z.string(),
  scopes: z.array(z.string()).max(8),
});

export const KeyParams = z.strictObject({ id: z.string() });

export const KeyJson = z.object({
  id: z.string(),
  name: z.string(),
  scopes: z.array(z.string()),
  createdAt: z.iso.datetime(),
  revokedAt: z.iso.datetime().nullable(),
});

/** The answer to a create: the only time the key's whole text is sent. */
export const CreatedKeyJson = KeyJson.extend({ key: z.string() });

export type KeyJson = z.output<typeof KeyJson>;
export type CreatedKeyJson = z.output<typeof CreatedKeyJson>;

export const KeysResponse = z.object({ keys: z.array(KeyJson) });

export const RevokeKeyResponse = z.object({ revoked: z.string() });

export function keyJson(key: ApiKeyRecord): z.input<typeof KeyJson> {
  return {
    id: key.id,
    name: key.name,
    scopes: [...key.scopes],
    createdAt: key.createdAt.toISOString(),
    revokedAt: key.revokedAt?.toISOString() ?? null,
  };
}

export function createdKeyJson(key: CreatedApiKey): z.input<typeof CreatedKeyJson> {
  return { ...keyJson(key), key: key.key };
}
