/**
 * API keys from the command line, as a user meets them: `millrace start`
 * refuses to listen beyond loopback until a key exists, `keys create` prints
 * a key once, commands send it with MILLRACE_API_KEY (or --api-key), and a
 * revoked key is refused at once by the server that revoked it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertBuilt,
  removeTempDirs,
  runCli,
  startServer,
  tempDir,
  type CliProcess,
  type CliResult,
} from '../support/cli.js';

function oneLineError(result: CliResult, code: number): string {
  expect(result.code).toBe(code);
  const lines = result.stderr.split('\n').filter((line) => line !== '');
  expect(lines).toHaveLength(1);
  return lines[0] as string;
}

beforeAll(() => assertBuilt());

describe('millrace keys and a server with keys', () => {
  const cwd = tempDir();
  let server: CliProcess | undefined;
  let admin = '';

  // Optional: a test that failed may have left no server.
  afterAll(async () => {
    await server?.stop();
    removeTempDirs();
  });

  it('lists no keys, and start refuses to listen beyond loopback without one', async () => {
    const listed = await runCli(['keys'], { cwd });
    expect(listed.code).toBe(0);
    expect(listed.stderr).toContain('no API keys');
    const refused = await runCli(['start', '--host', '0.0.0.0', '--port', '0'], { cwd });
    const line = oneLineError(refused, 2);
    expect(line).toMatch(/refusing to listen on 0\.0\.0\.0 with no API keys/);
    expect(line).toContain('npx millrace keys create --name admin --scope admin');
  });

  it('creates a key, printed once, and refuses a scope it does not know', async () => {
    const created = await runCli(['keys', 'create', '--name', 'ops', '--scope', 'admin'], { cwd });
    expect(created.code).toBe(0);
    admin = created.stdout.trim();
    expect(admin).toMatch(/^mrk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toContain('shown once');
    const bad = await runCli(['keys', 'create', '--name', 'x', '--scope', 'superuser'], { cwd });
    expect(oneLineError(bad, 2)).toContain('scopes of admin, publish, consume, read');
    const listed = await runCli(['keys', 'list', '--json'], { cwd });
    const { keys } = JSON.parse(listed.stdout) as { keys: { id: string; name: string }[] };
    expect(keys.map((k) => k.name)).toEqual(['ops']);
    expect(listed.stdout).not.toContain(admin.slice(22));
  });

  it('serves beyond loopback once a key exists, and says keys are in force', async () => {
    ({ server } = await startServer(cwd, ['--host', '0.0.0.0']));
    expect(server.stdout).toContain('API keys are in force');
  });

  it('refuses a command without the key, and runs it with the key', async () => {
    const publish = ['publish', 'order-1', 'order.created', '{"total":5}'];
    const refused = await runCli(publish, { cwd });
    expect(oneLineError(refused, 2)).toMatch(/Authorization: Bearer/);
    const published = await runCli(publish, { cwd, env: { MILLRACE_API_KEY: admin } });
    expect(published.code).toBe(0);
    expect(published.stdout).toMatch(/^published order-1@0/);
  });

  it('makes a read-only key through the server that may read but not publish', async () => {
    const env = { MILLRACE_API_KEY: admin };
    const created = await runCli(['keys', 'create', '--name', 'viewer', '--scope', 'read'], {
      cwd,
      env,
    });
    const viewer = created.stdout.trim();
    const read = await runCli(['read', '--json', '--api-key', viewer], { cwd });
    expect(read.code).toBe(0);
    expect((JSON.parse(read.stdout) as { events: unknown[] }).events).toHaveLength(1);
    const publish = await runCli(
      ['publish', 'order-2', 'order.created', '{}', '--api-key', viewer],
      {
        cwd,
      },
    );
    expect(oneLineError(publish, 2)).toMatch(/has scopes read; this route needs publish/);
  });

  it('revokes a key: refused from then on', async () => {
    const env = { MILLRACE_API_KEY: admin };
    const listed = await runCli(['keys', 'list', '--json'], { cwd, env });
    const { keys } = JSON.parse(listed.stdout) as { keys: { id: string; name: string }[] };
    const viewer = keys.find((k) => k.name === 'viewer');
    const revoked = await runCli(['keys', 'revoke', viewer?.id ?? 'none'], { cwd, env });
    expect(revoked.code).toBe(0);
    const missing = await runCli(['keys', 'revoke', '0123456789abcdef'], { cwd, env });
    expect(oneLineError(missing, 1)).toContain('no API key with id 0123456789abcdef');
    const after = await runCli(['keys', 'list'], { cwd, env });
    expect(after.stdout).toMatch(/viewer {2}read {2}created \S+ {2}revoked /);
  });
});
