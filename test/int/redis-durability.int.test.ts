/**
 * What the Redis provider says and does about durability: it reads the
 * server's persistence settings when it opens and warns when a restart
 * would lose data, and under `durability: 'replicated'` a publish is
 * acknowledged only once a replica has it (`WAIT`). The replicated case
 * runs its own primary and replica (two redis-server processes on ports of
 * their own); the shared Redis is only read.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Millrace } from '../../src/index.js';
import { redis } from '../../src/redis.js';
import { TEST_REDIS_URL, checkRedis, dropPrefix, uniquePrefix } from '../support/redis.js';
import { recordingLogger, waitFor } from '../support/wait.js';

const opened: Millrace[] = [];
const prefixes: string[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((m) => m.close()));
});

async function open(url: string, options: Parameters<typeof redis>[0] = { url }) {
  const prefix = uniquePrefix('dur');
  prefixes.push(prefix);
  const logger = recordingLogger();
  const millrace = await Millrace.open({
    provider: redis({ ...options, url, prefix }),
    logger,
    deliverDelayed: false,
  });
  opened.push(millrace);
  return { millrace, logger, prefix };
}

describe('redis persistence, read at open', () => {
  beforeAll(() => checkRedis());
  afterAll(async () => {
    for (const prefix of prefixes.splice(0)) await dropPrefix(prefix);
  });

  it('warns that a Redis keeping nothing on disk loses every event on a restart', async () => {
    const client = new Redis(TEST_REDIS_URL);
    const [, appendonly] = (await client.call('CONFIG', 'GET', 'appendonly')) as string[];
    const [, save] = (await client.call('CONFIG', 'GET', 'save')) as string[];
    client.disconnect();
    // The machine's Redis keeps nothing; if someone changed that, this check says so.
    expect({ appendonly, save }).toEqual({ appendonly: 'no', save: '' });
    const { logger } = await open(TEST_REDIS_URL);
    const warning = logger.lines.find((line) => line.level === 'warn');
    expect(warning?.message).toMatch(/keeps nothing on disk .* a restart loses every event/);
    expect(warning?.fields).toMatchObject({ persistence: 'none' });
  });

  it("refuses to acknowledge a publish no replica confirmed, under durability 'replicated'", async () => {
    const { millrace } = await open(TEST_REDIS_URL, {
      url: TEST_REDIS_URL,
      durability: 'replicated',
      replicationTimeoutMs: 50,
    });
    await expect(
      millrace.publish({ stream: 'order-1', subject: 'order.placed', data: {} }),
    ).rejects.toMatchObject({ code: 'connection', reason: 'not_replicated' });
  });
});

describe("durability 'replicated' with a replica", () => {
  const dir = mkdtempSync(join(tmpdir(), 'millrace-redis-pair-'));
  const servers: ChildProcess[] = [];
  const PRIMARY = 7291;
  const REPLICA = 7292;
  const url = `redis://127.0.0.1:${PRIMARY}`;

  function server(port: number, ...extra: string[]): ChildProcess {
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'yes',
        '--dir',
        join(dir),
        '--appendfilename',
        `aof-${port}.aof`,
        '--appenddirname',
        `aof-${port}`,
        ...extra,
      ],
      { stdio: 'ignore' },
    );
    servers.push(child);
    return child;
  }

  beforeAll(async () => {
    server(PRIMARY);
    server(REPLICA, '--replicaof', '127.0.0.1', String(PRIMARY));
    const primary = new Redis(url, { lazyConnect: true, retryStrategy: () => 50 });
    // Refused until the server is up: it retries, and the wait below says when it is.
    primary.on('error', () => undefined);
    await primary.connect().catch(() => undefined);
    await waitFor(
      async () => /slave0:.*state=online/.test(await primary.info('replication').catch(() => '')),
      'the replica in sync with its primary',
    );
    primary.disconnect();
  });
  afterAll(() => {
    for (const child of servers) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('acknowledges a publish once the replica has it, and reads it back from the replica', async () => {
    const { millrace, logger, prefix } = await open(url, { url, durability: 'replicated' });
    expect(logger.lines.filter((line) => line.level === 'warn')).toEqual([]);
    const published = await millrace.publish({
      stream: 'order-1',
      subject: 'order.placed',
      data: { n: 1 },
    });
    const replica = new Redis(`redis://127.0.0.1:${REPLICA}`);
    try {
      expect(published.position).toBe('1');
      const keys = await replica.keys(`{${prefix}:l:order:*}:log`);
      const lengths = await Promise.all(keys.map((key) => replica.xlen(key)));
      expect(lengths.reduce((a, b) => a + b, 0)).toBe(1);
    } finally {
      replica.disconnect();
    }
  });
});
