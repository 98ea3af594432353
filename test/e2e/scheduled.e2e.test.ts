/**
 * Delayed events from the command line: `millrace publish --delay` or
 * `--deliver-at` through a running server, whose scheduler delivers them;
 * `millrace scheduled` lists, counts and cancels.
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
import { waitFor } from '../support/wait.js';

interface ScheduledLine {
  id: string;
  stream: string;
  scheduled: true;
  deliverAt: string;
}

beforeAll(() => assertBuilt());
afterAll(() => removeTempDirs());

describe('delayed events from the CLI', () => {
  const cwd = tempDir();
  let server: CliProcess | undefined;

  beforeAll(async () => {
    ({ server } = await startServer(cwd));
  });
  // A beforeAll that failed left no server to stop.
  afterAll(async () => {
    await server?.stop();
  });

  const events = async () =>
    (JSON.parse((await runCli(['read', '--json'], { cwd })).stdout) as { events: unknown[] })
      .events;

  it('publish --delay schedules; the server delivers when due', async () => {
    // An hour away: it cannot come due while the test looks, however slow the machine.
    const result = await runCli(
      ['publish', 'order-1', 'order.reminded', '{"n":1}', '--delay', '1h', '--json'],
      { cwd },
    );
    expect(result.code).toBe(0);
    const scheduled = JSON.parse(result.stdout) as ScheduledLine;
    expect(scheduled).toMatchObject({ stream: 'order-1', scheduled: true });
    const listed = await runCli(['scheduled', '--json'], { cwd });
    expect(JSON.parse(listed.stdout)).toMatchObject({ count: 1, events: [{ id: scheduled.id }] });
    expect(await events()).toEqual([]);
    expect((await runCli(['scheduled', '--cancel', scheduled.id], { cwd })).code).toBe(0);

    const soon = await runCli(
      ['publish', 'order-1', 'order.reminded', '{"n":2}', '--delay', '1s'],
      {
        cwd,
      },
    );
    expect(soon.code).toBe(0);
    await waitFor(async () => (await events()).length === 1, 'the delivery', 60_000);
    expect(await events()).toMatchObject([{ stream: 'order-1', data: { n: 2 } }]);
  });

  it('publish --deliver-at prints the time; scheduled --cancel cancels', async () => {
    const result = await runCli(
      ['publish', 'order-2', 'order.reminded', '{}', '--deliver-at', '2099-01-01T00:00:00Z'],
      { cwd },
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^scheduled for 2099-01-01T00:00:00.000Z on order-2 \(id /);
    const id = /\(id ([0-9a-f-]+)\)/.exec(result.stdout)?.[1] ?? '';
    const listed = await runCli(['scheduled', '--stream', 'order-2'], { cwd });
    expect(listed.stdout).toContain(id);
    expect(listed.stderr).toContain('1 delayed events waiting');
    const cancelled = await runCli(['scheduled', '--cancel', id], { cwd });
    expect(cancelled.stdout).toBe(`cancelled ${id}\n`);
    const again = await runCli(['scheduled', '--cancel', id, '--json'], { cwd });
    expect(JSON.parse(again.stdout)).toEqual({ cancelled: false });
  });

  it.each([
    [['--delay', '5x']],
    [['--deliver-at', 'tomorrow']],
    [['--deliver-at', '2099-01-01T00:00:00']],
    [['--delay', '1s', '--deliver-at', '2099-01-01T00:00:00Z']],
    [['--delay', '1s', '--expected-version', '0']],
  ])('publish %j exits 2 with one line and schedules nothing', async (args) => {
    const result = await runCli(['publish', 'order-3', 'order.reminded', '{}', ...args], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    const listed = await runCli(['scheduled', '--stream', 'order-3', '--json'], { cwd });
    expect(JSON.parse(listed.stdout)).toMatchObject({ events: [] });
  });
});
