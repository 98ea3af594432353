/**
 * The competing-members benchmark, with real member processes on the real
 * PostgreSQL: throughput of one consumer with 1, 2 and 4 members on a handler
 * that waits 1 ms of I/O; the time from `kill -9` to the dead member's
 * partitions being handled again (its session ends with it, and with lease
 * coordination, where only missed heartbeats tell); the time from a graceful
 * stop to the handover. Prints markdown tables.
 *
 *   npm run bench:members -- [--events 40000] [--partitions 8] [--trials 20]
 *     [--lease-trials 10] [--session-timeout-ms 2000] [--members 1,2,4]
 */
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { Millrace, postgres } from '../src/index.js';
import { dropSchema, uniqueSchema } from '../test/support/database.js';
import { HandoverRig, type Handover, type Victim } from '../test/support/handover-rig.js';
import { MemberProcess, destroyAllMembers } from '../test/support/member-processes.js';
import { DATABASE_URL } from './backends.js';
import { describeMachine } from './machine.js';
import { formatRate, percentile, perSecond, progress, table } from './stats.js';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '40000' },
    partitions: { type: 'string', default: '8' },
    trials: { type: 'string', default: '20' },
    'lease-trials': { type: 'string', default: '10' },
    'session-timeout-ms': { type: 'string', default: '2000' },
    members: { type: 'string', default: '1,2,4' },
    concurrency: { type: 'string', default: '2' },
  },
});
const events = Number(values.events);
const partitions = Number(values.partitions);
const trials = Number(values.trials);
const leaseTrials = Number(values['lease-trials']);
const sessionTimeoutMs = Number(values['session-timeout-ms']);
const memberCounts = values.members.split(',').map(Number);
/** The bounded setting: handlers one member runs at once. */
const bounded = Number(values.concurrency);

/** Publishes `events` events, then starts `count` members at once and times the drain. */
async function throughput(count: number, concurrency: number | undefined): Promise<number> {
  const schema = uniqueSchema('bench_members');
  const publisher = await Millrace.open({
    provider: postgres({ connectionString: DATABASE_URL, schema, maxConnections: 4 }),
  });
  try {
    for (let published = 0; published < events; published += 1000) {
      await publisher.publishBatch(
        Array.from({ length: Math.min(1000, events - published) }, (_, i) => ({
          stream: `item-${(published + i) % 1000}`,
          subject: 'item.made',
          data: { n: published + i },
        })),
      );
    }
    const members = Array.from(
      { length: count },
      () =>
        new MemberProcess({
          databaseUrl: DATABASE_URL,
          schema,
          consumer: 'throughput',
          partitions,
          sessionTimeoutMs,
          mode: 'sleep',
          start: 'stdin',
          concurrency,
        }),
    );
    await Promise.all(members.map((m) => m.opened()));
    const handled = new Map<MemberProcess, { handled: number; lastAt: number }>();
    const startedAt = Date.now();
    members.forEach((m) => m.begin());
    const total = () => [...handled.values()].reduce((sum, p) => sum + p.handled, 0);
    await new Promise<void>((resolve) => {
      for (const member of members) {
        member.onLine((line) => {
          if (line.type !== 'progress') return;
          handled.set(member, { handled: line.handled, lastAt: line.lastAt });
          if (total() >= events) resolve();
        });
      }
    });
    const finishedAt = Math.max(...[...handled.values()].map((p) => p.lastAt));
    await Promise.all(members.map((m) => m.terminate()));
    return perSecond(events, finishedAt - startedAt);
  } finally {
    await destroyAllMembers();
    await publisher.close();
    await dropSchema(schema);
  }
}

interface Series {
  readonly label: string;
  readonly results: Handover[];
}

async function handovers(
  label: string,
  coordination: 'session' | 'lease',
  count: number,
  act: (rig: HandoverRig, victim: Victim) => Promise<Handover>,
): Promise<Series> {
  const rig = new HandoverRig({
    databaseUrl: DATABASE_URL,
    members: 3,
    partitions,
    sessionTimeoutMs,
    coordination,
  });
  const results: Handover[] = [];
  try {
    await rig.start();
    for (let trial = 0; trial < count; trial++) {
      // Every fourth trial ends the leader, so its election is in the figures too.
      const victim: Victim = trial % 4 === 3 ? 'leader' : 'follower';
      const result = await act(rig, victim);
      results.push(result);
      progress(`${label}: trial ${trial + 1}/${count}: ${result.ms} ms (${victim})`);
      // A random pause, so the signal lands anywhere in the victim's heartbeat cycle.
      await sleep(200 + Math.random() * 300);
    }
  } finally {
    await rig.close();
  }
  return { label, results };
}

function summary({ label, results }: Series): string[] {
  const ms = results.map((r) => r.ms).sort((a, b) => a - b);
  const leaders = results.filter((r) => r.leader).map((r) => r.ms);
  return [
    label,
    String(ms.length),
    String(percentile(ms, 50)),
    String(ms[ms.length - 1]),
    leaders.length === 0 ? '-' : String(Math.max(...leaders)),
  ];
}

const rates: { count: number; byDefault: number; bounded: number }[] = [];
for (const count of memberCounts) {
  progress(`throughput: ${count} member(s), ${events} events`);
  rates.push({
    count,
    byDefault: await throughput(count, undefined),
    bounded: await throughput(count, bounded),
  });
}
const series = [
  await handovers(
    'kill -9, its session ends (partitions move when its lease ends)',
    'session',
    trials,
    (rig, victim) => rig.kill(victim),
  ),
  await handovers(
    `kill -9, lease coordination (heartbeats only, ${sessionTimeoutMs} ms timeout)`,
    'lease',
    leaseTrials,
    (rig, victim) => rig.kill(victim),
  ),
  await handovers('graceful stop (SIGTERM)', 'session', trials, (rig, victim) => rig.stop(victim)),
];
progress('done');

const first = rates[0];
const ratio = (rate: number, one: number | undefined) =>
  one === undefined ? '-' : `${(rate / one).toFixed(2)}x`;
console.log(`\n${await describeMachine(DATABASE_URL)}\n`);
console.log(
  `Throughput: ${events} events over 1,000 streams, ${partitions} partitions, handler waits 1 ms; a member runs up to 16 handlers at once (the default), or at most ${bounded}\n`,
);
console.log(
  table(
    [
      'members',
      'events/s, default concurrency (16)',
      'vs 1 member',
      `events/s, ${bounded} per member`,
      'vs 1 member',
    ],
    rates.map(({ count, byDefault, bounded: limited }) => [
      String(count),
      formatRate(byDefault),
      ratio(byDefault, first?.byDefault),
      formatRate(limited),
      ratio(limited, first?.bounded),
    ]),
  ),
);
console.log(
  `\nPartitions moving again (3 members, ${partitions} partitions, session timeout ${sessionTimeoutMs} ms), ms from the signal to the last of the victim's partitions handled elsewhere\n`,
);
console.log(table(['what', 'trials', 'median', 'max', 'max when the leader'], series.map(summary)));
