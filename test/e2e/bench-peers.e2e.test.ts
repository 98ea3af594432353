/**
 * The peer benchmark still runs end to end against every system, with tiny
 * sizes: each drain handles every job exactly once, in one and in two worker
 * processes. Speeds are not checked here (they live in the benchmark's own
 * tables); that it measures at all is.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('npm run bench:peers', () => {
  it('drains with every system in one and two worker processes, every job once', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        '--import',
        'tsx',
        'bench/peers/main.ts',
        '--scenario',
        'drain,scale',
        '--jobs',
        '2000',
        '--processes',
        '1,2',
      ],
      { env: { ...process.env, MILLRACE_LOG_LEVEL: 'error' }, maxBuffer: 16 * 1024 * 1024 },
    );
    const rows = (heading: string) => {
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
    const systems = [
      'millrace-postgres',
      'millrace-pglite',
      'millrace-kafka',
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
});
