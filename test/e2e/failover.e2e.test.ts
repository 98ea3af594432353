/**
 * Failover with real processes: four member processes of one consumer
 * handle 100,000 events over 1,000 streams while a seeded injector kills
 * (-9) and replaces members, freezes them past the session timeout, ends
 * their database sessions and cuts their connections. Every handling is
 * recorded by the members; the history checker then proves nothing was
 * lost, per-stream order held, duplicates happened only around faults, no
 * partition had two owners in one generation, and frozen members did not
 * act on lost partitions; finally the members settle into a balanced
 * assignment. Replay a failure with FAILOVER_SEED=<seed it printed>.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Millrace, postgres } from '../../src/index.js';
import { TEST_DATABASE_URL, dropSchema, uniqueSchema } from '../support/database.js';
import { FaultInjector } from '../support/fault-injector.js';
import { checkBalance, checkHistory } from '../support/history-checker.js';
import { countHandledEvents, createHistoryTable, readHistory } from '../support/history.js';
import { publishPaced } from '../support/item-publisher.js';
import { readAssignments } from '../support/member-database.js';
import { MemberProcess, destroyAllMembers } from '../support/member-processes.js';
import { Random } from '../support/random.js';
import { waitFor } from '../support/wait.js';

const EVENTS = Number(process.env.FAILOVER_EVENTS ?? 100_000);
const STREAMS = 1000;
const MEMBERS = 4;
const PARTITIONS = 8;
const SESSION_TIMEOUT_MS = 2000;
/** Long enough for several rounds of every fault, short enough for CI's two cores. */
const PUBLISH_MS = 40_000;
const CONSUMER = 'chaos';

let schema: string;
let admin: pg.Pool;
let publisher: Millrace;

beforeAll(async () => {
  schema = uniqueSchema('failover');
  publisher = await Millrace.open({
    provider: postgres({ connectionString: TEST_DATABASE_URL, schema, maxConnections: 2 }),
  });
  admin = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 3 });
  await createHistoryTable(admin, schema);
});

afterAll(async () => {
  await destroyAllMembers();
  await publisher?.close();
  await admin?.end();
  await dropSchema(schema);
});

const log = (line: string) => process.stdout.write(`[failover] ${line}\n`);

function spawnMember(): MemberProcess {
  return new MemberProcess({
    databaseUrl: TEST_DATABASE_URL,
    schema,
    consumer: CONSUMER,
    category: 'item',
    partitions: PARTITIONS,
    sessionTimeoutMs: SESSION_TIMEOUT_MS,
    mode: 'history',
  });
}

describe('failover with member processes', () => {
  it('loses nothing, keeps stream order, duplicates only around faults, fences, and rebalances', async () => {
    const random = Random.fromEnv('FAILOVER_SEED');
    log(`seed ${random.seed} (replay: FAILOVER_SEED=${random.seed})`);
    const everyMember: MemberProcess[] = [];
    const spawn = () => {
      const member = spawnMember();
      everyMember.push(member);
      return member;
    };
    // All at once: their first starts race to register the consumer and
    // build its partition index.
    const members = Array.from({ length: MEMBERS }, spawn);
    await Promise.all(members.map((m) => m.ready()));

    let publishing = true;
    const injector = new FaultInjector({
      db: admin,
      schema,
      consumer: CONSUMER,
      sessionTimeoutMs: SESSION_TIMEOUT_MS,
      random: new Random(random.seed),
      members,
      spawn,
      log,
    });
    const [published] = await Promise.all([
      publishPaced(publisher, {
        events: EVENTS,
        streams: STREAMS,
        batchSize: 500,
        durationMs: PUBLISH_MS,
        random: new Random(random.seed ^ 0x5bd1e995),
      }).finally(() => (publishing = false)),
      injector.run(() => !publishing),
    ]);
    log(`published ${published.length}; ${injector.faults.length} faults`);

    const drainDeadline = Date.now() + 120_000;
    let handled = 0;
    while ((handled = await countHandledEvents(admin, schema)) < EVENTS) {
      if (Date.now() > drainDeadline) break;
      await sleep(500);
    }
    expect(handled, 'distinct events handled').toBe(EVENTS);

    let problems: string[] = [];
    await waitFor(
      async () => {
        const live = members.map((m) => m.member as string);
        problems = checkBalance(PARTITIONS, await readAssignments(admin, schema, CONSUMER), live);
        return problems.length === 0;
      },
      'a balanced assignment over the live members',
      20_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}: ${problems.join('; ')}`);
    });

    expect(everyMember.filter((m) => m.crashed).map((m) => m.tail())).toEqual([]);

    const history = await readHistory(admin, schema);
    const report = checkHistory(published, history, injector.faults, {
      // Commits follow within commitIntervalMs (1 s); slack for a retried commit.
      uncommittedMs: 4000,
      // A lapsed member learns it at its next heartbeat (a third of the timeout).
      lapseMs: 3000,
    });
    log(
      `${report.handlings} handlings, ${report.duplicates} duplicates, ${report.violations.length} violations`,
    );
    expect(report.violations.slice(0, 20)).toEqual([]);
  }, 300_000);
});
