/**
 * One chaos run, from one seed: a PostgreSQL cluster of its own, member
 * processes of one consumer handling events published at a steady pace
 * while the fault injector kills, freezes and cuts them off and restarts
 * the server; then every event must be handled, the members must settle
 * into a balanced assignment without one having exited, and the history
 * checker must find nothing wrong. The failover test runs one seed; `npm
 * run chaos -- --seeds 20` runs many.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { Millrace, postgres, type Logger } from '../../../src/index.js';
import { countHandledEvents, createHistoryTable, readHistory } from '../history.js';
import { publishPaced } from '../item-publisher.js';
import { readAssignments } from '../member-database.js';
import { MemberProcess, destroyAllMembers } from '../member-processes.js';
import { Random } from '../random.js';
import { FaultInjector } from './fault-injector.js';
import type { Fault, Refusal } from './faults.js';
import { createDatabaseLog, readCommitLog, readGrantLog } from './database-log.js';
import { checkBalance, checkHistory, type HistoryReport } from './history-checker.js';
import { PostgresCluster } from './postgres-cluster.js';

export interface ChaosOptions {
  readonly seed: number;
  /** @defaultValue 60,000 */
  readonly events?: number;
  /** @defaultValue 500 */
  readonly streams?: number;
  /** @defaultValue 4 */
  readonly members?: number;
  /** @defaultValue 16 */
  readonly partitions?: number;
  /** @defaultValue 2000 */
  readonly sessionTimeoutMs?: number;
  /** How long events are published for, faults injected meanwhile. @defaultValue 40,000 */
  readonly publishMs?: number;
  readonly log: (line: string) => void;
}

export interface ChaosResult {
  readonly seed: number;
  readonly published: number;
  readonly faults: readonly Fault[];
  readonly report: HistoryReport;
  /** What went wrong besides the history: events never handled, no balance, members that exited. */
  readonly problems: readonly string[];
  /** On failure: a JSON file with everything the checker read and what each member said. */
  readonly evidence?: string;
}

const CONSUMER = 'chaos';
/** How long the members get to handle the rest once the faults stop. */
const DRAIN_MS = 120_000;

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const events = options.events ?? 60_000;
  const partitions = options.partitions ?? 16;
  const sessionTimeoutMs = options.sessionTimeoutMs ?? 2000;
  const { log, seed } = options;
  const cluster = await PostgresCluster.start();
  const schema = 'chaos';
  const admin = new pg.Pool({ connectionString: adminUrl(cluster.url), max: 3 });
  admin.on('error', () => undefined);
  let publisher: Millrace | undefined;
  const everyMember: MemberProcess[] = [];
  try {
    publisher = await Millrace.open({
      provider: postgres({ connectionString: cluster.url, schema, maxConnections: 2 }),
      logger: quiet,
      deliverDelayed: false,
    });
    await createHistoryTable(admin, schema);
    await createDatabaseLog(admin, schema, CONSUMER);

    const spawn = () => {
      const member = new MemberProcess({
        databaseUrl: cluster.url,
        schema,
        consumer: CONSUMER,
        category: 'item',
        partitions,
        sessionTimeoutMs,
        mode: 'history',
      });
      everyMember.push(member);
      return member;
    };
    // All at once: their first starts race to register the consumer and build its index.
    const members = Array.from({ length: options.members ?? 4 }, spawn);
    await Promise.all(members.map((m) => m.ready(60_000)));

    const random = new Random(seed);
    const injector = new FaultInjector({
      cluster,
      db: admin,
      schema,
      sessionTimeoutMs,
      random: new Random(random.seed),
      members,
      spawn,
      log,
    });
    let publishing = true;
    const [published] = await Promise.all([
      publishPaced(publisher, {
        events,
        streams: options.streams ?? 500,
        batchSize: 500,
        durationMs: options.publishMs ?? 40_000,
        random: new Random(seed ^ 0x5bd1e995),
        stored: (ids) => storedEvents(admin, schema, ids),
      }).finally(() => (publishing = false)),
      injector.run(() => !publishing),
    ]);
    log(`published ${published.length}; ${injector.faults.length} faults`);

    const problems: string[] = [];
    const drainDeadline = Date.now() + DRAIN_MS;
    let handled = 0;
    while ((handled = await countHandledEvents(admin, schema)) < events) {
      if (Date.now() > drainDeadline) break;
      await sleep(250);
    }
    if (handled < events) problems.push(`only ${handled} of ${events} events handled`);
    problems.push(...(await settled(admin, schema, partitions, members)));
    for (const member of everyMember.filter((m) => m.crashed)) {
      problems.push(`a member exited on its own: ${member.tail()}`);
    }

    const record = {
      published,
      history: await readHistory(admin, schema),
      faults: injector.faults,
      grants: await readGrantLog(admin, schema),
      commits: await readCommitLog(admin, schema),
      refusals: everyMember.flatMap(refusalsOf),
    };
    // A member cut off works on within its lease (750 ms with these timings).
    const report = checkHistory(record, { lapseMs: 1500 });
    const failed = report.violations.length > 0 || problems.length > 0;
    const evidence = failed ? keepEvidence(seed, record, everyMember) : undefined;
    return {
      seed,
      published: published.length,
      faults: injector.faults,
      report,
      problems,
      evidence,
    };
  } catch (error) {
    throw new Error(`${(error as Error).message}\nserver log:\n${cluster.log()}`, { cause: error });
  } finally {
    await destroyAllMembers();
    await publisher?.close().catch(() => undefined);
    await admin.end().catch(() => undefined);
    await cluster.destroy();
  }
}

/** Waits up to 20 s for every partition to be owned by a live member, balanced; the problems if not. */
async function settled(
  admin: pg.Pool,
  schema: string,
  partitions: number,
  members: readonly MemberProcess[],
): Promise<string[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const live = members.map((m) => m.member as string);
    const problems = checkBalance(partitions, await readAssignments(admin, schema, CONSUMER), live);
    if (problems.length === 0 || Date.now() > deadline) return problems;
    await sleep(100);
  }
}

/** Writes what a failed run saw to a file, for a person to read. */
function keepEvidence(seed: number, record: object, members: readonly MemberProcess[]): string {
  const file = join(tmpdir(), `millrace-chaos-${seed}.json`);
  const said = members.map((m) => ({
    pid: m.pid,
    member: m.member,
    lines: m.lines.filter((l) => l.type !== 'progress' && l.type !== 'first'),
  }));
  writeFileSync(
    file,
    JSON.stringify({ ...record, members: said }, (_key, value: unknown) =>
      typeof value === 'bigint' ? value.toString() : value,
    ),
  );
  return file;
}

function refusalsOf(member: MemberProcess): Refusal[] {
  return member.lines.flatMap((line) =>
    line.type === 'refused'
      ? line.refused.map((r) => ({ pid: member.pid, at: line.at, tick: line.tick, ...r }))
      : [],
  );
}

async function storedEvents(admin: pg.Pool, schema: string, ids: readonly string[]) {
  const { rows } = await admin.query<{ id: string; stream: string; version: number }>(
    `SELECT id::text, stream, version FROM "${schema}".events WHERE id = ANY($1::uuid[])`,
    [ids],
  );
  return rows;
}

/** The test's own connections, named so no fault ever cuts them. */
function adminUrl(url: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('application_name', 'millrace-chaos');
  return parsed.toString();
}
