/**
 * `millrace prune` end to end: straight on PostgreSQL, and through a running
 * server over HTTP (`POST /v1/prune`), whose `--retain` policy also prunes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  assertBuilt,
  removeTempDirs,
  runCli,
  startServer,
  tempDir,
  type CliProcess,
} from '../support/cli.js';
import { TEST_DATABASE_URL, dropSchema, uniqueSchema } from '../support/database.js';
import { waitFor } from '../support/wait.js';

interface PruneJson {
  deleted: number;
  prunedBefore: string;
  categories: { category: string; deleted: number }[];
  heldBy: { consumer: string; sequence: string; partition: number; position: string }[];
}

const events = (stream: string, count: number) =>
  Array.from({ length: count }, (_, n) =>
    JSON.stringify({ stream, subject: 'order.placed', data: { n } }),
  ).join('\n') + '\n';

beforeAll(() => assertBuilt());
afterAll(() => removeTempDirs());

describe('millrace prune on PostgreSQL', () => {
  const cwd = tempDir();
  const schema = uniqueSchema('e2e');
  const env = { DATABASE_URL: TEST_DATABASE_URL };
  const cli = (args: string[]) => runCli([...args, '--schema', schema], { cwd, env });

  afterAll(() => dropSchema(schema));

  it('keeps the newest events per category and reports JSON', async () => {
    expect(
      (await runCli(['publish', '--schema', schema], { cwd, env, input: events('order-1', 5) }))
        .code,
    ).toBe(0);
    const result = await cli(['prune', '--keep-last', '2', '--json']);
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout) as PruneJson;
    expect(json.deleted).toBe(3);
    expect(json.categories).toMatchObject([{ category: 'order', deleted: 3 }]);
    const read = await cli(['read', '--json']);
    expect((JSON.parse(read.stdout) as { events: unknown[] }).events).toHaveLength(2);
  });

  it('refuses bad arguments with one line and exit code 2, deleting nothing', async () => {
    for (const args of [
      ['prune'],
      ['prune', '--older-than', 'soon'],
      ['prune', '--keep-last', '-1'],
      ['prune', '--keep-last', '1', '--category', 'no such'],
    ]) {
      const result = await cli(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(/^millrace: /);
    }
    const read = await cli(['read', '--json']);
    expect((JSON.parse(read.stdout) as { events: unknown[] }).events).toHaveLength(2);
  });
});

describe('millrace prune through a server', () => {
  const cwd = tempDir();
  let server: CliProcess | undefined;

  beforeAll(async () => {
    ({ server } = await startServer(cwd, ['--retain-keep-last', '3', '--retain-every', '200ms']));
  });

  // A beforeAll that failed left no server to stop.
  afterAll(async () => {
    await server?.stop();
  });

  it('prunes over HTTP, and the --retain policy prunes on its own', async () => {
    expect((await runCli(['publish'], { cwd, input: events('order-7', 6) })).code).toBe(0);
    const count = async () =>
      (JSON.parse((await runCli(['read', '--json'], { cwd })).stdout) as { events: unknown[] })
        .events.length;
    await waitFor(async () => (await count()) === 3, 'the server policy pruning', 20_000);

    const human = await runCli(['prune', '--keep-last', '1'], { cwd });
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('deleted 2 events');
    expect(await count()).toBe(1);

    const bad = await runCli(['prune', '--keep-last', '1', '--category', 'no such'], { cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('invalid category');
  });
});
