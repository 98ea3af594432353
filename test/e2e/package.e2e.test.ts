/**
 * The package as a user installs it: `npm pack` of this checkout, installed
 * into an empty application from the registry's dependencies, and then the
 * README's commands for that case, `npx millrace start` and `npx millrace
 * publish`, as written, and its entry points (`millrace`, `millrace/postgres`,
 * `millrace/kafka`, `millrace/redis`, `millrace/testing`) imported by the application. The
 * Kafka client is an optional peer dependency, so it must not be installed,
 * and nothing installed may ask for another Node.
 */
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, CliProcess, removeTempDirs, runCli, tempDir } from '../support/cli.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

beforeAll(() => assertBuilt());
afterAll(() => removeTempDirs());

describe('npm install millrace, then npx millrace', () => {
  const app = tempDir('millrace-app-');
  const npx = { cwd: app, command: ['npx', '--no-install', 'millrace'] };
  let installLog = '';
  let server: CliProcess | undefined;

  beforeAll(async () => {
    // dist/ is already built (npm test builds first): pack it as it is.
    const packed = await run(
      'npm',
      ['pack', '--ignore-scripts', '--json', '--pack-destination', app],
      {
        cwd: ROOT,
      },
    );
    const [{ filename }] = JSON.parse(packed.stdout) as [{ filename: string }];
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }));
    const installed = await run(
      'npm',
      ['install', '--no-audit', '--no-fund', join(app, filename)],
      { cwd: app, maxBuffer: 16 * 1024 * 1024 },
    );
    installLog = installed.stdout + installed.stderr;
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('installs without the Kafka and Redis clients and without an engine warning', () => {
    expect(existsSync(join(app, 'node_modules', 'millrace', 'dist', 'cli', 'main.js'))).toBe(true);
    expect(existsSync(join(app, 'node_modules', '@platformatic', 'kafka'))).toBe(false);
    expect(existsSync(join(app, 'node_modules', 'ioredis'))).toBe(false);
    expect(installLog).not.toContain('EBADENGINE');
  });

  it("imports each entry point, a provider's alone without the rest", async () => {
    const script = `
      const root = await import('millrace');
      const pg = await import('millrace/postgres');
      const kafka = await import('millrace/kafka');
      const redis = await import('millrace/redis');
      const testing = await import('millrace/testing');
      console.log(JSON.stringify({
        root: typeof root.Millrace.open,
        postgres: [typeof pg.postgres, typeof pg.pglite, pg.pglite === root.pglite],
        kafka: [typeof kafka.kafka, kafka.kafka({ brokers: ['127.0.0.1:1'] }).kind],
        redis: [typeof redis.redis, redis.redis({ url: 'redis://127.0.0.1:1' }).kind],
        redisOpened: await redis.redis({ url: 'redis://127.0.0.1:1' }).open().catch((e) => e.reason),
        testing: typeof testing.memory,
      }));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: app,
    });
    expect(JSON.parse(stdout)).toEqual({
      root: 'function',
      postgres: ['function', 'function', true],
      kafka: ['function', 'kafka'],
      redis: ['function', 'redis'],
      // Opening needs the client, which the application did not install.
      redisOpened: 'redis_client_missing',
      testing: 'function',
    });
  });

  it('npx millrace start serves, and npx millrace publish reaches it', async () => {
    server = new CliProcess(['start', '--port', '0'], { ...npx, processGroup: true });
    // The welcome ends with the Ctrl-C line; waiting for it sees the whole welcome.
    await server.waitForOutput(/Ctrl-C stops the server/, 120_000);
    const url = /millrace is listening on (http:\/\/\S+)/.exec(server.stdout)?.[1] ?? '';
    expect(server.stdout).toContain('npx millrace publish');
    expect(await (await fetch(`${url}/v1/health`)).json()).toMatchObject({ status: 'ok' });

    const published = await runCli(['publish', 'order-1', 'order.created', '{"total":5}'], npx);
    expect(published).toMatchObject({ code: 0, stderr: '' });
    const read = await runCli(['read', '--json'], npx);
    expect(JSON.parse(read.stdout)).toMatchObject({
      events: [{ stream: 'order-1', subject: 'order.created', data: { total: 5 } }],
    });
    // npm itself dies of the Ctrl-C; the server under it stops cleanly, and its output closes.
    const stopped = await server.stop('SIGINT');
    expect(stopped.stdout).toMatch(/INFO +stopped\n/);
    expect(stopped.stderr).not.toMatch(/error/i);
  });
});
