/**
 * The `millrace` command over Redis Streams (`--redis`): publishing and the
 * registry opened directly, and a server on Redis, with a password in the
 * URL that never shows in what the command prints.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliProcess, assertBuilt, removeTempDirs, runCli, tempDir } from '../support/cli.js';
import { TEST_REDIS_URL, checkRedis, dropPrefix, uniquePrefix } from '../support/redis.js';

const prefix = uniquePrefix('cli');
const target = ['--redis', TEST_REDIS_URL, '--redis-prefix', prefix];

beforeAll(async () => {
  assertBuilt();
  await checkRedis();
});
afterAll(async () => {
  removeTempDirs();
  await dropPrefix(prefix);
});

/** The machine's Redis keeps nothing on disk, and a command opening it directly says so, once. */
function expectOnlyThePersistenceWarning(stderr: string): void {
  const lines = stderr.split('\n').filter((line) => line !== '');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/WARN +redis at redis:\/\/127\.0\.0\.1:6379 keeps nothing on disk/);
}

describe('millrace --redis', () => {
  const cwd = tempDir();

  it('publishes to Redis directly and lists the consumers there', async () => {
    const published = await runCli(
      ['publish', '--json', ...target, 'order-1', 'order.created', '{"total":5}'],
      { cwd },
    );
    expect(published.code).toBe(0);
    expectOnlyThePersistenceWarning(published.stderr);
    expect(JSON.parse(published.stdout)).toMatchObject({
      stream: 'order-1',
      position: '1',
      version: 0,
    });
    const consumers = await runCli(['consumers', '--json', ...target], { cwd });
    expect(consumers.code).toBe(0);
    expectOnlyThePersistenceWarning(consumers.stderr);
    expect(JSON.parse(consumers.stdout)).toEqual({ consumers: [] });
  });

  it('refuses --redis together with --kafka, exiting 2', async () => {
    const result = await runCli(['consumers', ...target, '--kafka', '127.0.0.1:9092'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/cannot be used with/);
  });

  it('serves over Redis, and never prints the password in its URL', async () => {
    const url = new URL(TEST_REDIS_URL);
    url.username = 'default';
    url.password = 'not-to-be-seen';
    const server = new CliProcess(
      ['start', '--port', '0', '--redis', url.toString(), '--redis-prefix', prefix],
      { cwd, processGroup: true },
    );
    try {
      await server.waitForOutput(/Ctrl-C stops the server/, 60_000);
      const listening = /millrace is listening on (http:\/\/\S+)/.exec(server.stdout)?.[1] ?? '';
      expect(server.stdout).toContain(`redis://${url.host}`);
      const response = await fetch(`${listening}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ stream: 'order-2', subject: 'order.created', data: { total: 7 } }),
      });
      expect(response.status).toBe(201);
      expect(await response.json()).toMatchObject({
        events: [expect.objectContaining({ stream: 'order-2', version: 0 })],
      });
    } finally {
      const stopped = await server.stop('SIGINT');
      expect(stopped.stdout + stopped.stderr).not.toContain('not-to-be-seen');
    }
  });
});
