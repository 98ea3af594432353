#!/usr/bin/env node
// `npm run test:stress [-- --runs 3]`: the whole suite while a CPU burner keeps
// every core busy, so a test that leans on timing fails here and not on a
// user's busy CI. Burners run at normal priority, one per core (plus one, so
// the cores never idle while a burner is descheduled). Failure bounds stretch
// by MILLRACE_TEST_PATIENCE (3 unless set; see test/support/wait.ts). Stops at
// the first red run; prints each run's time.
import { fork, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';

// A burner is this same script, forked with --burn: it spins until killed.
if (process.argv[2] === '--burn') {
  for (;;) Math.sqrt(Math.random());
}

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '1' }, burners: { type: 'string' } },
});
const runs = Number(values.runs);
const count = Number(values.burners ?? availableParallelism() + 1);
if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(count) || count < 0) {
  console.error('usage: npm run test:stress -- [--runs n] [--burners n]');
  process.exit(2);
}

const burners = Array.from({ length: count }, () =>
  fork(new URL(import.meta.url).pathname, ['--burn'], { stdio: 'ignore' }),
);
const stopBurners = () => burners.forEach((burner) => burner.kill('SIGKILL'));
process.on('exit', stopBurners);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => process.exit(130));
}

const env = { ...process.env, MILLRACE_TEST_PATIENCE: process.env.MILLRACE_TEST_PATIENCE ?? '3' };
console.log(`test:stress: ${count} CPU burners on ${availableParallelism()} cores, ${runs} run(s)`);
for (let run = 1; run <= runs; run++) {
  const started = Date.now();
  const result = spawnSync('npm', ['test'], { stdio: 'inherit', env });
  const seconds = Math.round((Date.now() - started) / 1000);
  const status = result.status === 0 ? 'green' : `red (exit ${result.status ?? result.signal})`;
  console.log(`test:stress: run ${run} of ${runs} ${status} in ${seconds} s`);
  if (result.status !== 0) process.exit(1);
}
// The burners' IPC channels keep this process alive: exit (and so stop them) here.
process.exit(0);
