/**
 * The peer benchmark still runs end to end against every system, with tiny
 * sizes: each drain handles every job exactly once, in one and in two worker
 * processes, and a killed worker process's work is handled again. Speeds
 * are not checked here (they live in the benchmark's own tables); that it
 * measures at all is.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

async function bench(args: string[]): Promise<string> {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', 'bench/peers/main.ts', ...args],
    { env: { ...process.env, MILLRACE_LOG_LEVEL: 'error' }, maxBuffer: 16 * 1024 * 1024 },
  );
  return stdout;
}

/** The body rows of the table under `heading`, as trimmed cells. */
const tableRows = (stdout: string) => (heading: string) => {
  const section = stdout.slice(stdout.indexOf(heading));
  const table = section.slice(0, section.indexOf('\n\n', section.indexOf('| system')));
  return table
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| system'))
    .filter((line) => !line.startsWith('| ---'))
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
};

describe('npm run bench:peers', () => {
  it('drains with every system in one and two worker processes, every job once', async () => {
    const stdout = await bench([
      '--scenario',
      'drain,scale',
      '--jobs',
      '2000',
      '--processes',
      '1,2',
    ]);
    const rows = tableRows(stdout);
    const systems = [
      'millrace-postgres',
      'millrace-pglite',
      'millrace-kafka',
      'millrace-redis',
      'millrace-redis-everysec',
      'millrace-http',
      'pg-boss',
      'graphile-worker',
      'bullmq',
      'bullmq-everysec',
    ];
    // Rows whose cells are not what they must be, so a failure names the system and the cell.
    const number = /^[\d,]+$/;
    const drain = rows('**Drain**');
    expect(drain.map((row) => row[0])).toEqual(systems);
    expect(
      drain.filter(
        ([, enqueued, processed, duplicates]) =>
          !number.test(enqueued ?? '') || !number.test(processed ?? '') || duplicates !== '0',
      ),
    ).toEqual([]);
    const scale = rows('**Scale**');
    expect(scale.map((row) => row[0])).toEqual(systems);
    expect(
      scale.filter(
        ([name, one, two, , duplicates]) =>
          !number.test(one ?? '') ||
          duplicates !== '0' ||
          (name === 'millrace-pglite' ? two !== 'one process only' : !number.test(two ?? '')),
      ),
    ).toEqual([]);
  }, 600_000);

  it('times the recovery from a killed worker process, every job handled', async () => {
    const stdout = await bench([
      '--only',
      'millrace-postgres,millrace-redis',
      '--scenario',
      'recovery',
      '--recovery-trials',
      '2',
      '--recovery-cap',
      '30',
    ]);
    const recovery = tableRows(stdout)('**Recovery**');
    expect(recovery.map((row) => row[0])).toEqual(['millrace-postgres', 'millrace-redis']);
    // Each kill timed in seconds (a trial past the cap says "not within 30 s" instead), and
    // at least one job was in the dead process's hands.
    const seconds = /^\d+\.\d+ s$/;
    expect(
      recovery.filter(
        ([, kills, median, , inHand]) =>
          kills?.split(', ').length !== 2 ||
          !kills.split(', ').every((kill) => seconds.test(kill)) ||
          !seconds.test(median ?? '') ||
          !(Number(inHand) >= 1),
      ),
    ).toEqual([]);
  }, 300_000);
});
