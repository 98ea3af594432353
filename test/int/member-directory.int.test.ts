/**
 * The member directory's contract, on PostgreSQL, PGlite and the in-memory
 * one a server keeps when its provider has none: a move succeeds only from
 * the home the caller saw, only once that home is silent (or when forced),
 * and never for an ended member; an end only by the home; a stopping
 * server's members are left homeless; `hostedBy` sees every move.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MemberDirectory } from '../../src/core/contracts/member-directory.js';
import type { Millrace } from '../../src/index.js';
import { LocalMemberDirectory } from '../../src/server/gateway/local-directory.js';
import { PROVIDERS, openBackend, type TestBackend } from '../support/providers.js';

const LONG = 3_600_000;

type Opened = { directory: MemberDirectory; close(): Promise<void> };

const DIRECTORIES: [string, () => Promise<Opened>][] = [
  ...PROVIDERS.map((name): [string, () => Promise<Opened>] => [
    name,
    async () => {
      const backend: TestBackend = await openBackend(name);
      const millrace: Millrace = await backend.open();
      const directory = millrace.provider.httpMembers;
      if (directory === undefined) throw new Error(`${name} keeps no member directory`);
      return { directory, close: () => backend.close() };
    },
  ]),
  [
    'memory (no provider directory)',
    () =>
      Promise.resolve({ directory: new LocalMemberDirectory(), close: () => Promise.resolve() }),
  ],
];

describe.each(DIRECTORIES)('member directory on %s', (_name, open) => {
  let opened: Opened;
  let directory: MemberDirectory;

  beforeAll(async () => {
    opened = await open();
    directory = opened.directory;
  });

  afterAll(async () => {
    await opened?.close();
  });

  async function member(server: string): Promise<string> {
    const id = `http-${randomUUID()}`;
    await directory.register({
      id,
      consumer: 'billing',
      tokenHash: Buffer.alloc(32, 7),
      spec: { terms: { maxInFlight: 5 } },
      server,
    });
    return id;
  }

  it('keeps what a member was started with', async () => {
    const home = `srv-${randomUUID()}`;
    await directory.announce(home, 'http://127.0.0.1:1');
    const id = await member(home);
    expect(await directory.find(id)).toEqual({
      id,
      consumer: 'billing',
      tokenHash: Buffer.alloc(32, 7),
      spec: { terms: { maxInFlight: 5 } },
      server: home,
      ended: null,
    });
    expect(await directory.find('http-nobody')).toBeUndefined();
    expect((await directory.server(home))?.url).toBe('http://127.0.0.1:1');
  });

  it('moves a member only from the home seen, once it is silent or when forced', async () => {
    const [home, other, third] = [1, 2, 3].map(() => `srv-${randomUUID()}`) as [
      string,
      string,
      string,
    ];
    await directory.announce(home, 'http://127.0.0.1:1');
    const id = await member(home);
    // The home announced itself just now: not silent for an hour.
    expect(await directory.move(id, home, other, { forced: false, deadAfterMs: LONG })).toBe(false);
    // From a home it no longer has, or a home it never had: refused.
    expect(await directory.move(id, third, other, { forced: true, deadAfterMs: 0 })).toBe(false);
    expect(await directory.move(id, null, other, { forced: true, deadAfterMs: 0 })).toBe(false);
    expect((await directory.find(id))?.server).toBe(home);
    // Silent for longer than nothing at all: moved; and the old home hosts it no more.
    expect(await directory.move(id, home, other, { forced: false, deadAfterMs: 0 })).toBe(true);
    expect(await directory.hostedBy(home)).not.toContain(id);
    expect(await directory.hostedBy(other)).toContain(id);
    // Forced (its home refused the connection): moved however recently the home spoke.
    await directory.announce(other, 'http://127.0.0.1:2');
    expect(await directory.move(id, other, third, { forced: true, deadAfterMs: LONG })).toBe(true);
    expect((await directory.find(id))?.server).toBe(third);
  });

  it('ends a member only by its home, and moves an ended one nowhere', async () => {
    const [home, other] = [`srv-${randomUUID()}`, `srv-${randomUUID()}`];
    await directory.announce(home, 'http://127.0.0.1:1');
    const id = await member(home);
    expect(await directory.end(id, other, 'expired')).toBe(false);
    expect(await directory.end(id, home, 'stopped')).toBe(true);
    expect(await directory.end(id, home, 'expired')).toBe(false);
    expect(await directory.find(id)).toMatchObject({ server: null, ended: 'stopped' });
    expect(await directory.move(id, null, other, { forced: true, deadAfterMs: 0 })).toBe(false);
    expect(await directory.hostedBy(home)).not.toContain(id);
  });

  it("leaves a stopping server's members homeless, for the next server to take", async () => {
    const [home, next] = [`srv-${randomUUID()}`, `srv-${randomUUID()}`];
    await directory.announce(home, 'http://127.0.0.1:1');
    const [first, second] = [await member(home), await member(home)];
    expect(await directory.end(second, home, 'expired')).toBe(true);
    await directory.withdraw(home);
    expect(await directory.server(home)).toBeUndefined();
    expect(await directory.find(first)).toMatchObject({ server: null, ended: null });
    // An ended member stays ended.
    expect(await directory.find(second)).toMatchObject({ server: null, ended: 'expired' });
    expect(await directory.move(first, null, next, { forced: false, deadAfterMs: LONG })).toBe(
      true,
    );
    expect(await directory.hostedBy(next)).toEqual([first]);
  });

  it('forgets what ended, and servers silent, only longer ago than asked', async () => {
    const home = `srv-${randomUUID()}`;
    await directory.announce(home, 'http://127.0.0.1:1');
    const [live, ended] = [await member(home), await member(home)];
    await directory.end(ended, home, 'stopped');
    await directory.sweep(LONG);
    expect(await directory.find(ended)).toBeDefined();
    expect(await directory.find(live)).toBeDefined();
    expect(await directory.server(home)).toBeDefined();
    // Everything is older than no time at all: the ended member, the server (silent since
    // its announcement) and so the member it hosted.
    await directory.sweep(0);
    expect(await directory.find(ended)).toBeUndefined();
    expect(await directory.server(home)).toBeUndefined();
    expect(await directory.find(live)).toBeUndefined();
  });
});
