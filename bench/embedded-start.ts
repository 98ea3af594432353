/**
 * The embedded start benchmark: `millrace start` as a user runs it, on a new
 * data directory and on the same one again (and on PostgreSQL beside them):
 * time from spawning the process to its first line and to /v1/health
 * answering, and its RSS then; then one process's memory through a publish
 * and a drain (bench/embedded-drain.ts). Prints markdown tables.
 *
 *   npm run bench:start -- [--rounds 5] [--events 20000] [--bin bin/millrace.js]
 *     [--dir .millrace] [--no-postgres]
 *
 * --bin measures another checkout's build (its bin/millrace.js), for before
 * and after figures on one machine.
 */
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DATABASE_URL, dropSchema } from './backends.js';
import type { DrainMemory, MemorySample } from './embedded-drain.js';
import { describeMachine } from './machine.js';
import { percentile, progress, table } from './stats.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    events: { type: 'string', default: '20000' },
    bin: { type: 'string', default: join(import.meta.dirname, '..', 'bin', 'millrace.js') },
    // Where a user's data directory would be: /tmp can be far slower to create files in.
    dir: { type: 'string', default: '.millrace' },
    'no-postgres': { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
const events = Number(values.events);
const bin = resolve(values.bin);
mkdirSync(values.dir, { recursive: true });
const scratch = (prefix: string) => mkdtempSync(join(resolve(values.dir), prefix));

interface Start {
  /** Spawn to the first byte of output. */
  readonly firstLineMs: number;
  /** Spawn to the first 200 from /v1/health. */
  readonly readyMs: number;
  /**
   * CPU time of the main thread until then: what `readyMs` comes to on an
   * idle machine, less waits, and much less swayed by other work on it.
   */
  readonly mainCpuMs: number;
  readonly rssMb: number;
  readonly peakRssMb: number;
}

/** The process's own figures from /proc (Linux); NaN elsewhere. */
function procStatusMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(
      readFileSync(`/proc/${pid}/status`, 'utf8'),
    );
    return match ? Number(match[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** utime + stime of a /proc stat file, in ms (Linux counts them in 1/100 s); NaN elsewhere. */
function procCpuMs(path: string): number {
  try {
    const fields = readFileSync(path, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

async function measureStart(args: readonly string[]): Promise<Start> {
  const started = performance.now();
  const child = spawn(process.execPath, [bin, 'start', '--port', '0', ...args], {
    env: { ...process.env, MILLRACE_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let firstLineMs = Number.NaN;
  const exited = new Promise<void>((done) => child.on('close', () => done()));
  const onData = (chunk: Buffer) => {
    if (output === '') firstLineMs = performance.now() - started;
    output += chunk.toString('utf8');
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`millrace start exited:\n${output}`);
      const url = /millrace is listening on (http:\/\/\S+)/.exec(output)?.[1];
      const health = url && (await fetch(`${url}/v1/health`).catch(() => undefined));
      if (health && health.status === 200) break;
      if (performance.now() - started > 120_000) throw new Error(`no answer:\n${output}`);
      await new Promise((done) => setTimeout(done, 5));
    }
    const readyMs = performance.now() - started;
    const pid = child.pid ?? 0;
    return {
      firstLineMs,
      readyMs,
      mainCpuMs: procCpuMs(`/proc/${pid}/task/${pid}/stat`),
      rssMb: procStatusMb(pid, 'VmRSS'),
      peakRssMb: procStatusMb(pid, 'VmHWM'),
    };
  } finally {
    child.kill('SIGINT');
    await exited;
  }
}

function median(values: readonly number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

function startRow(what: string, starts: readonly Start[]): string[] {
  const ready = starts.map((s) => s.readyMs);
  return [
    what,
    seconds(median(ready)),
    `${seconds(Math.min(...ready))} – ${seconds(Math.max(...ready))}`,
    seconds(median(starts.map((s) => s.firstLineMs))),
    seconds(median(starts.map((s) => s.mainCpuMs))),
    `${median(starts.map((s) => s.rssMb)).toFixed(0)} MB`,
    `${median(starts.map((s) => s.peakRssMb)).toFixed(0)} MB`,
  ];
}

async function postgresStarts(): Promise<Start[]> {
  const schema = `bench_start_${process.pid}`;
  const starts: Start[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      progress(`postgres: round ${round + 1}/${rounds}`);
      const dir = scratch('bench-start-');
      try {
        const args = ['--data-dir', dir, '--database-url', DATABASE_URL, '--schema', schema];
        starts.push(await measureStart(args));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    await dropSchema(schema);
  }
  return starts;
}

function drainMemory(): DrainMemory {
  const dir = scratch('bench-drain-');
  try {
    const script = join(import.meta.dirname, 'embedded-drain.ts');
    const out = execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        script,
        join(dirname(bin), '..', 'dist'),
        join(dir, 'pgdata'),
        String(events),
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
    );
    return JSON.parse(out.trim().split('\n').at(-1) ?? '') as DrainMemory;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const memoryRow = (step: string, m: MemorySample) => [
  step,
  mb(m.rss),
  mb(m.heapUsed),
  mb(m.external),
  mb(m.arrayBuffers),
];

const loadBefore = loadavg()[0] ?? Number.NaN;
const fresh: Start[] = [];
const existing: Start[] = [];
for (let round = 0; round < rounds; round++) {
  const dir = scratch('bench-start-');
  try {
    progress(`embedded: round ${round + 1}/${rounds}, new data directory`);
    fresh.push(await measureStart(['--data-dir', dir]));
    progress(`embedded: round ${round + 1}/${rounds}, existing data directory`);
    existing.push(await measureStart(['--data-dir', dir]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const onPostgres = values['no-postgres'] ? [] : await postgresStarts();
progress(`embedded: ${events} events published and drained`);
const drain = drainMemory();
const loadAfter = loadavg()[0] ?? Number.NaN;
progress('done');

console.log(`\n${await describeMachine(undefined)}`);
console.log(
  `${bin}; load average ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after\n`,
);
const header = [
  'millrace start',
  `ready (median of ${rounds})`,
  'range',
  'first line',
  'main thread CPU',
];
const rows = [startRow('new data directory', fresh), startRow('existing data directory', existing)];
if (onPostgres.length > 0) rows.push(startRow('PostgreSQL (--database-url)', onPostgres));
console.log(table([...header, 'RSS when ready', 'peak RSS'], rows));
const stalled =
  drain.stalledAt === undefined ? '' : ` (stalled after ${drain.stalledAt} of ${events} events)`;
console.log(
  `\nOne process on a new data directory: ${drain.published.toLocaleString('en-US')} events/s published, ` +
    `${drain.drained.toLocaleString('en-US')} events/s drained${stalled}, ` +
    `highest RSS during the drain ${mb(drain.drainPeakRss)}\n`,
);
console.log(
  table(
    ['step', 'rss', 'heapUsed', 'external', 'arrayBuffers'],
    drain.steps.map(({ step, memory }) => memoryRow(step, memory)),
  ),
);
