/**
 * The ingress bridge under faults, with real processes: three
 * `millrace bridge` processes on one Redis channel and one PostgreSQL log, a
 * publisher at 2,000 messages/s, and a seeded schedule of faults on the
 * leader (kill -9 twice, each followed by a replacement, and SIGSTOP past
 * the lease once). The checker reads every message published against the
 * log: none a surviving process heard may be lost, none may land twice, and
 * the checkpoint stream's terms never go back (a deposed leader wrote
 * nothing after its successor). The same with the log's PostgreSQL
 * restarted mid-run; and a control run whose standbys cannot keep what they
 * hear (a buffer smaller than a takeover's worth), where the checker must
 * see the loss.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { bridgedBytes, Millrace, postgres, type Event } from '../../src/index.js';
import { checkpointStream } from '../../src/bridge/checkpoint-log.js';
import { checkDelivery, ranges, type DeliveryVerdict } from '../support/bridge-checker.js';
import {
  BridgeRig,
  PacedPublisher,
  uniqueChannel,
  type BridgeProcess,
} from '../support/bridge-rig.js';
import { PostgresCluster } from '../support/chaos/postgres-cluster.js';
import { assertBuilt, removeTempDirs } from '../support/cli.js';
import {
  TEST_DATABASE_URL,
  assertPostgresReachable,
  dropSchema,
  uniqueSchema,
} from '../support/database.js';
import { Random } from '../support/random.js';
import { checkRedis } from '../support/redis.js';
import { waitFor } from '../support/wait.js';

const RATE = 2000;
const CATEGORY = 'reading';
const random = Random.fromEnv('MILLRACE_BRIDGE_SEED');

const rigs: BridgeRig[] = [];
const publishers: PacedPublisher[] = [];
const opened: Millrace[] = [];
const schemas: string[] = [];

beforeAll(async () => {
  assertBuilt();
  await assertPostgresReachable();
  await checkRedis();
  console.log(`bridge failover seed ${random.seed} (MILLRACE_BRIDGE_SEED replays it)`);
});
afterEach(async () => {
  await Promise.all(publishers.splice(0).map((p) => p.close()));
  await Promise.all(rigs.splice(0).map((r) => r.stopAll()));
  await Promise.all(opened.splice(0).map((m) => m.close()));
  await Promise.all(schemas.splice(0).map((s) => dropSchema(s)));
});
afterAll(() => removeTempDirs());

async function openLog(url: string, schema: string): Promise<Millrace> {
  const millrace = await Millrace.open({
    provider: postgres({ connectionString: url, schema, maxConnections: 2 }),
    deliverDelayed: false,
  });
  opened.push(millrace);
  return millrace;
}

async function landedSeqs(millrace: Millrace): Promise<number[]> {
  const seqs: number[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await millrace.read({ sequence: { category: CATEGORY }, after, limit: 10_000 });
    for (const event of page.events) {
      seqs.push((JSON.parse(bridgedBytes(event).toString()) as { seq: number }).seq);
    }
    after = page.next;
    if (!page.hasMore) return seqs;
  }
}

/** The terms of the checkpoint stream in log order: they must never go back. */
async function checkpointTerms(millrace: Millrace): Promise<number[]> {
  const page = await millrace.read({
    sequence: { stream: checkpointStream('default') },
    limit: 10_000,
  });
  return page.events.map((e: Event) => (e.data as { term: number }).term);
}

/** Waits until the log holds `count` messages or stops growing, then checks it. */
async function verdictOf(
  millrace: Millrace,
  publisher: PacedPublisher,
  rig: BridgeRig,
): Promise<DeliveryVerdict> {
  let last = -1;
  let stable = 0;
  await waitFor(
    async () => {
      // A read cut off by a restarting server is tried again.
      const now = (await landedSeqs(millrace).catch(() => [])).length;
      stable = now === last ? stable + 1 : 0;
      last = now;
      return now >= publisher.published.length || stable >= 40;
    },
    'the log to settle',
    60_000,
  );
  const verdict = checkDelivery(publisher.published, await landedSeqs(millrace), rig.lives());
  console.log(
    `published ${verdict.published}, landed ${verdict.landed}, lost ${verdict.lost.length} (${verdict.lostCovered.length} heard by a survivor), duplicated ${verdict.duplicated.length}`,
  );
  return verdict;
}

function expectNothingLostOrTwice(verdict: DeliveryVerdict): void {
  expect(ranges(verdict.lostCovered), 'lost, though a surviving process heard them').toBe('');
  expect(ranges(verdict.duplicated), 'landed twice').toBe('');
  expect(verdict.unknown).toEqual([]);
}

/**
 * Signals the leader (SIGKILL, or SIGSTOP past its lease) and waits for a
 * standby's takeover; resolves with the leader and the takeover time in ms.
 */
async function faultLeader(
  rig: BridgeRig,
  signal: 'SIGKILL' | 'SIGSTOP',
): Promise<{ bridge: BridgeProcess; took: number }> {
  const { bridge, term } = await rig.leader();
  const at = performance.now();
  process.kill(bridge.pid, signal);
  if (signal === 'SIGKILL') bridge.killed = true;
  else bridge.frozen = true;
  const next = await rig.takeoverAfter(bridge, term);
  const took = (next.takeovers().find((t) => (t.term as number) > term)?.at ?? at) - at;
  return { bridge, took };
}

/** kill -9 of the leader, then a replacement. */
async function killLeader(rig: BridgeRig): Promise<number> {
  const { took } = await faultLeader(rig, 'SIGKILL');
  await rig.add();
  return took;
}

/** SIGSTOP of the leader; once a standby has taken over, SIGCONT: it must stand by. */
async function freezeLeader(rig: BridgeRig): Promise<number> {
  const { bridge, took } = await faultLeader(rig, 'SIGSTOP');
  process.kill(bridge.pid, 'SIGCONT');
  bridge.frozen = false;
  await waitFor(() => bridge.leadingTerm() === undefined, 'the thawed leader to stand by');
  return took;
}

async function startRig(
  log: readonly string[],
  extra: readonly string[] = [],
  padding = 0,
): Promise<{ rig: BridgeRig; publisher: PacedPublisher }> {
  const channel = uniqueChannel();
  const rig = new BridgeRig({ log, channel, category: CATEGORY, extra });
  rigs.push(rig);
  for (let i = 0; i < 3; i++) await rig.add();
  await rig.leader();
  const publisher = new PacedPublisher(channel, RATE, padding);
  publishers.push(publisher);
  return { rig, publisher };
}

describe('three bridge processes into PostgreSQL', () => {
  it('lose nothing a live standby heard and duplicate nothing through kill -9 twice and SIGSTOP', async () => {
    const schema = uniqueSchema('bridge');
    schemas.push(schema);
    const millrace = await openLog(TEST_DATABASE_URL, schema);
    const { rig, publisher } = await startRig([
      '--database-url',
      TEST_DATABASE_URL,
      '--schema',
      schema,
    ]);
    const total = RATE * 30;
    const running = publisher.run(total);
    // A seeded order of faults, each at a seeded point of the run (read from the publisher's count).
    const faults = random.shuffle(['kill', 'kill', 'stop'] as const);
    const takeovers: string[] = [];
    for (const [i, fault] of faults.entries()) {
      await publisher.reached(Math.floor(total * (0.1 + 0.27 * i + random.next() * 0.1)));
      const took = fault === 'kill' ? await killLeader(rig) : await freezeLeader(rig);
      takeovers.push(`${fault} ${Math.round(took)} ms`);
    }
    await running;
    console.log(`takeovers after: ${takeovers.join(', ')}`);
    const verdict = await verdictOf(millrace, publisher, rig);
    expectNothingLostOrTwice(verdict);
    expect(verdict.lost).toEqual([]);
    const terms = await checkpointTerms(millrace);
    expect(terms).toEqual([...terms].sort((a, b) => a - b));
    expect(new Set(terms).size).toBeGreaterThanOrEqual(4);
  }, 240_000);

  it('lose nothing within the buffer while the log database restarts', async () => {
    const cluster = await PostgresCluster.start();
    try {
      const schema = 'bridge_restart';
      const millrace = await openLog(cluster.url, schema);
      const { rig, publisher } = await startRig([
        '--database-url',
        cluster.url,
        '--schema',
        schema,
      ]);
      const total = RATE * 15;
      const running = publisher.run(total);
      await publisher.reached(Math.floor(total * (0.3 + random.next() * 0.2)));
      await cluster.restart('immediate');
      await running;
      const verdict = await verdictOf(millrace, publisher, rig);
      expectNothingLostOrTwice(verdict);
      expect(verdict.lost).toEqual([]);
      await rig.stopAll();
      await millrace.close();
    } finally {
      await cluster.destroy();
    }
  }, 240_000);

  it('lose what standbys could not keep: the checker sees the loss (control)', async () => {
    const schema = uniqueSchema('bridge');
    schemas.push(schema);
    const millrace = await openLog(TEST_DATABASE_URL, schema);
    // 2 KB messages at 2,000/s fill a 1 MiB buffer in half a second: standbys drop the oldest.
    const { rig, publisher } = await startRig(
      ['--database-url', TEST_DATABASE_URL, '--schema', schema],
      ['--buffer-mb', '1'],
      2000,
    );
    const total = RATE * 8;
    const running = publisher.run(total);
    await publisher.reached(Math.floor(total * 0.3));
    await killLeader(rig);
    await running;
    const verdict = await verdictOf(millrace, publisher, rig);
    expect(verdict.lostCovered.length).toBeGreaterThan(0);
    expect(verdict.duplicated).toEqual([]);
  }, 120_000);
});
