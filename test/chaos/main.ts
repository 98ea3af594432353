/**
 * Chaos over many seeds, nightly-style: each seed is a full chaos run (see
 * test/support/chaos/chaos-run.ts) on a PostgreSQL cluster of its own.
 * Prints a line per seed and a table; exits 1 if any seed failed, printing
 * its violations and how to replay it.
 *
 *   npm run chaos -- [--seeds 20] [--seed <one to replay>] [--events 60000] [--publish-ms 40000]
 */
import { parseArgs } from 'node:util';
import { runChaos, type ChaosResult } from '../support/chaos/chaos-run.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1' },
    seed: { type: 'string' },
    events: { type: 'string', default: '60000' },
    'publish-ms': { type: 'string', default: '40000' },
  },
});

const seeds =
  values.seed === undefined
    ? Array.from({ length: Number(values.seeds) }, () => Math.floor(Math.random() * 2 ** 32))
    : [Number(values.seed)];

const results: { result?: ChaosResult; error?: Error; seed: number; ms: number }[] = [];
for (const [index, seed] of seeds.entries()) {
  const log = (line: string) => process.stderr.write(`[seed ${seed}] ${line}\n`);
  log(`run ${index + 1} of ${seeds.length}`);
  const started = Date.now();
  try {
    const result = await runChaos({
      seed,
      events: Number(values.events),
      publishMs: Number(values['publish-ms']),
      log,
    });
    results.push({ result, seed, ms: Date.now() - started });
    const { report, problems } = result;
    log(
      `${report.handlings} handlings, ${report.duplicates} duplicates, ${report.violations.length} violations, ${problems.length} problems`,
    );
  } catch (error) {
    results.push({ error: error as Error, seed, ms: Date.now() - started });
    log(`failed to run: ${(error as Error).message}`);
  }
}

const failed = (r: (typeof results)[number]) =>
  r.error !== undefined ||
  (r.result?.report.violations.length ?? 0) > 0 ||
  (r.result?.problems.length ?? 0) > 0;

console.log(
  '\n| seed | faults | handlings | duplicates | violations | problems | seconds | verdict |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of results) {
  const kinds = new Map<string, number>();
  for (const f of r.result?.faults ?? []) {
    const kind = f.kind === 'restart' ? `restart -m ${f.mode}` : f.kind;
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  console.log(
    `| ${r.seed} | ${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ') || '-'} | ${r.result?.report.handlings ?? '-'} | ${r.result?.report.duplicates ?? '-'} | ${r.result?.report.violations.length ?? '-'} | ${r.result?.problems.length ?? '-'} | ${(r.ms / 1000).toFixed(0)} | ${failed(r) ? 'FAILED' : 'ok'} |`,
  );
}
for (const r of results.filter(failed)) {
  console.log(`\nseed ${r.seed} (replay: npm run chaos -- --seed ${r.seed}):`);
  if (r.result?.evidence) console.log(`  evidence: ${r.result.evidence}`);
  if (r.error) console.log(r.error.stack);
  for (const p of r.result?.problems ?? []) console.log(`  problem: ${p}`);
  const violations = r.result?.report.violations ?? [];
  const byRule = new Map<string, number>();
  for (const v of violations) byRule.set(v.rule, (byRule.get(v.rule) ?? 0) + 1);
  if (byRule.size > 0)
    console.log(`  by rule: ${[...byRule].map(([k, n]) => `${k} ${n}`).join(', ')}`);
  // The first few of each rule.
  for (const rule of byRule.keys()) {
    for (const v of violations.filter((x) => x.rule === rule).slice(0, 10)) {
      console.log(`  ${v.rule}: ${v.message}`);
    }
  }
}
process.exit(results.some(failed) ? 1 : 0);
