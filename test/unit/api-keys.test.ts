/**
 * API keys in the library: made once with a random secret, stored only
 * hashed, verified against that hash, refused once revoked, and every bad
 * name, scope or id refused with its reason before anything is stored. On
 * the memory provider; PostgreSQL, PGlite and Kafka run the same calls in
 * their own tiers (http-auth, kafka-provider).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Millrace, ValidationError } from '../../src/index.js';
import { memory } from '../../src/testing.js';

let millrace: Millrace;
beforeEach(async () => {
  millrace = await Millrace.open({ provider: memory() });
});
afterEach(() => millrace.close());

describe('API keys', () => {
  it('makes a key whose text verifies, stores only its hash, and lists it without the secret', async () => {
    const created = await millrace.keys.create({ name: 'worker', scopes: ['consume', 'read'] });
    expect(created.key).toMatch(/^mrk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(created.key.slice(4, 20)).toBe(created.id);
    expect(created.scopes).toEqual(['consume', 'read']);
    const stored = await millrace.provider.keys.find(created.id);
    expect(stored?.secretHash).toHaveLength(32);
    expect(JSON.stringify(stored)).not.toContain(created.key.slice(21));
    expect(await millrace.keys.verify(created.key)).toMatchObject({
      id: created.id,
      name: 'worker',
      scopes: ['consume', 'read'],
    });
    const listed = await millrace.keys.list();
    expect(listed).toHaveLength(1);
    expect(Object.keys(listed[0] ?? {})).not.toContain('secretHash');
  });

  it('refuses a changed secret, another id, and text that is no key', async () => {
    const { key } = await millrace.keys.create({ name: 'a', scopes: ['read'] });
    const last = key.at(-1) === 'A' ? 'B' : 'A';
    const cases = [
      `${key.slice(0, -1)}${last}`,
      `mrk_0000000000000000_${key.slice(21)}`,
      key.slice(0, -1),
      `${key} `,
      '',
      'Bearer x',
    ];
    for (const text of cases) expect(await millrace.keys.verify(text), text).toBeUndefined();
  });

  it('refuses a revoked key, keeps it listed, and says when no key is in force', async () => {
    expect(await millrace.keys.anyActive()).toBe(false);
    const { key, id } = await millrace.keys.create({ name: 'a', scopes: ['admin'] });
    expect(await millrace.keys.anyActive()).toBe(true);
    await millrace.keys.revoke(id);
    await millrace.keys.revoke(id);
    expect(await millrace.keys.verify(key)).toBeUndefined();
    expect(await millrace.keys.anyActive()).toBe(false);
    const [listed] = await millrace.keys.list();
    expect(listed?.revokedAt).toBeInstanceOf(Date);
    await expect(millrace.keys.revoke('0123456789abcdef')).rejects.toMatchObject({
      code: 'not_found',
      reason: 'key_not_found',
    });
  });

  it.each([
    ['an empty name', { name: '', scopes: ['read'] }, 'invalid_key_name'],
    ['a name with a newline', { name: 'a\nb', scopes: ['read'] }, 'invalid_key_name'],
    ['a 65-character name', { name: 'x'.repeat(65), scopes: ['read'] }, 'invalid_key_name'],
    ['no scopes', { name: 'a', scopes: [] }, 'invalid_scope'],
    ['an unknown scope', { name: 'a', scopes: ['read', 'root'] }, 'invalid_scope'],
  ])('refuses %s and stores nothing', async (_name, options, reason) => {
    const error = await millrace.keys.create(options as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error).toMatchObject({ reason });
    expect(await millrace.keys.list()).toEqual([]);
  });

  it('refuses a malformed id to revoke', async () => {
    await expect(millrace.keys.revoke("x'; DROP TABLE api_keys;--")).rejects.toMatchObject({
      reason: 'invalid_key_id',
    });
  });
});
