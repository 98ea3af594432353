/**
 * Failover with real processes, one seed of the chaos run (see
 * test/support/chaos/chaos-run.ts): four member processes of one consumer,
 * 16 partitions, events over 500 streams, on a PostgreSQL cluster the test
 * starts for itself, while a seeded injector kills (-9) and replaces
 * members, freezes them past the session timeout, ends their sessions, cuts
 * one connection or every member's, and restarts the server (`-m fast` and
 * `-m immediate`). The checker then proves nothing was lost, per-stream
 * order held, duplicates happened only around faults, no two processes ever
 * worked one partition at once (whatever their generations), nothing
 * started after its grant was superseded or its commit refused, no member
 * exited, and the members settled into a balanced assignment.
 * Replay a failure with FAILOVER_SEED=<seed it printed>; run many seeds with
 * `npm run chaos -- --seeds 20`.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { runChaos } from '../support/chaos/chaos-run.js';
import { destroyAllMembers } from '../support/member-processes.js';
import { Random } from '../support/random.js';

afterAll(async () => {
  await destroyAllMembers();
});

const log = (line: string) => process.stdout.write(`[failover] ${line}\n`);

describe('failover with member processes', () => {
  it('loses nothing, keeps stream order, one owner at a time, no member exits, and rebalances', async () => {
    const { seed } = Random.fromEnv('FAILOVER_SEED');
    log(`seed ${seed} (replay: FAILOVER_SEED=${seed})`);
    const result = await runChaos({
      seed,
      events: Number(process.env.FAILOVER_EVENTS ?? 60_000),
      log,
    });
    const { report } = result;
    log(
      `${report.handlings} handlings, ${report.duplicates} duplicates, ${report.violations.length} violations`,
    );
    if (result.evidence) log(`evidence: ${result.evidence}`);
    expect(result.problems).toEqual([]);
    expect(report.violations.slice(0, 20)).toEqual([]);
  }, 400_000);
});
