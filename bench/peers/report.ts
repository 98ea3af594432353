/**
 * The peer benchmark's findings as markdown: one table per scenario with
 * the ratio against millrace on PostgreSQL, the machine's ceilings, the
 * targets met or missed, and how each system was configured.
 */
import { formatMs, formatRate, table } from '../stats.js';
import type { PeerResults, SystemResults } from './results.js';
import type { LatencyResult } from './scenarios.js';
import { BASELINE } from './systems.js';

const times = (ratio: number) => (Number.isFinite(ratio) ? `${ratio.toFixed(2)}x` : '–');
const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

function cell(results: SystemResults, scenario: string, value: string | undefined): string {
  return value ?? results.notes.get(scenario) ?? '–';
}

function drainTable(r: PeerResults): string {
  const base = r.systems.get(BASELINE)?.drain?.processedPerSecond ?? Number.NaN;
  return table(
    [
      'system',
      'enqueue, bulk calls of 1,000 (jobs/s)',
      'processed (jobs/s)',
      'duplicates',
      'millrace-postgres ÷ system, processed',
    ],
    [...r.systems].map(([name, s]) => [
      name,
      cell(s, 'drain', s.drain && formatRate(s.drain.enqueuePerSecond)),
      cell(s, 'drain', s.drain && formatRate(s.drain.processedPerSecond)),
      cell(s, 'drain', s.drain && String(s.drain.duplicates)),
      s.drain ? times(base / s.drain.processedPerSecond) : '–',
    ]),
  );
}

/** The rounds' medians of each percentile, the highest max, and the sums. */
export function combineLatency(rounds: readonly LatencyResult[]): LatencyResult | undefined {
  if (rounds.length === 0) return undefined;
  const of = (pick: (l: LatencyResult) => number) => median(rounds.map(pick));
  return {
    p50: of((l) => l.p50),
    p95: of((l) => l.p95),
    p99: of((l) => l.p99),
    max: Math.max(...rounds.map((l) => l.max)),
    handled: rounds.reduce((sum, l) => sum + l.handled, 0),
    duplicates: rounds.reduce((sum, l) => sum + l.duplicates, 0),
  };
}

function latencyTable(r: PeerResults): string {
  const base = combineLatency(r.systems.get(BASELINE)?.latency ?? [])?.p99 ?? Number.NaN;
  return table(
    [
      'system',
      'p50 (ms)',
      'p95 (ms)',
      'p99 (ms)',
      'p99 per round (ms)',
      'max (ms)',
      'handled',
      'system p99 ÷ millrace-postgres p99',
    ],
    [...r.systems].map(([name, s]) => {
      const l = combineLatency(s.latency);
      return [
        name,
        cell(s, 'latency', l && formatMs(l.p50)),
        cell(s, 'latency', l && formatMs(l.p95)),
        cell(s, 'latency', l && formatMs(l.p99)),
        cell(s, 'latency', l && s.latency.map((round) => formatMs(round.p99)).join(', ')),
        cell(s, 'latency', l && formatMs(l.max)),
        cell(
          s,
          'latency',
          l && `${formatRate(l.handled)}${l.duplicates ? ` (+${l.duplicates} dup.)` : ''}`,
        ),
        l ? times(l.p99 / base) : '–',
      ];
    }),
  );
}

function slowTable(r: PeerResults): string {
  const base = r.systems.get(BASELINE)?.slow?.processedPerSecond ?? Number.NaN;
  const ideal = r.settings.concurrency * 200;
  return table(
    [
      'system',
      'processed (jobs/s)',
      `share of ${formatRate(ideal)}/s (${r.settings.concurrency} × 5 ms)`,
      'duplicates',
      'millrace-postgres ÷ system',
    ],
    [...r.systems].map(([name, s]) => [
      name,
      cell(s, 'slow', s.slow && formatRate(s.slow.processedPerSecond)),
      cell(s, 'slow', s.slow && `${Math.round((100 * s.slow.processedPerSecond) / ideal)} %`),
      cell(s, 'slow', s.slow && String(s.slow.duplicates)),
      s.slow ? times(base / s.slow.processedPerSecond) : '–',
    ]),
  );
}

function scaleTable(r: PeerResults): string {
  const counts = r.settings.processes;
  return table(
    [
      'system',
      ...counts.map((n) => `${n} process${n === 1 ? '' : 'es'} (jobs/s)`),
      `${counts.at(-1)} vs ${counts[0]}`,
      'duplicates',
    ],
    [...r.systems].map(([name, s]) => {
      const first = s.scale.get(counts[0] as number)?.processedPerSecond;
      const last = s.scale.get(counts.at(-1) as number)?.processedPerSecond;
      const duplicates = [...s.scale.values()].reduce((sum, d) => sum + d.duplicates, 0);
      return [
        name,
        ...counts.map((n) => {
          const d = s.scale.get(n);
          return d ? formatRate(d.processedPerSecond) : (s.notes.get(`scale-${n}`) ?? '–');
        }),
        first && last ? times(last / first) : '–',
        s.scale.size > 0 ? String(duplicates) : '–',
      ];
    }),
  );
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;

function recoveryTable(r: PeerResults): string {
  return table(
    [
      'system',
      'recovered, per kill',
      'median',
      'max',
      'jobs in hand at the kill (median)',
      'duplicates, all kills',
    ],
    [...r.systems].map(([name, s]) => {
      const times = s.recovery.map((k) =>
        k.recoveredMs === undefined
          ? `not within ${r.settings.recoveryCapSeconds} s`
          : seconds(k.recoveredMs),
      );
      const recovered = s.recovery.every((k) => k.recoveredMs !== undefined);
      const ms = s.recovery.map((k) => k.recoveredMs ?? Number.POSITIVE_INFINITY);
      const some = s.recovery.length > 0 ? true : undefined;
      return [
        name,
        cell(s, 'recovery', some && times.join(', ')),
        cell(s, 'recovery', some && (recovered ? seconds(median(ms)) : '–')),
        cell(s, 'recovery', some && (recovered ? seconds(Math.max(...ms)) : '–')),
        cell(s, 'recovery', some && String(median(s.recovery.map((k) => k.stranded)))),
        cell(s, 'recovery', some && String(s.recovery.reduce((sum, k) => sum + k.duplicates, 0))),
      ];
    }),
  );
}

function bigLogTable(r: PeerResults): string | undefined {
  if (!r.bigLog) return undefined;
  const { small, big } = r.bigLog;
  const base = median(small.rounds);
  return table(
    [
      'events in the log',
      "first consumer's start, building its partition index (ms)",
      `consume the newest ${formatRate(small.tail)}, per round (events/s)`,
      'median',
      'vs the short log',
    ],
    [small, big].map((b) => [
      formatRate(b.logEvents),
      formatRate(Math.round(b.firstStartMs)),
      b.rounds.map(formatRate).join(', '),
      formatRate(median(b.rounds)),
      `${Math.round((100 * median(b.rounds)) / base)} %`,
    ]),
  );
}

function ceilingsText(r: PeerResults): string[] {
  const lines: string[] = [];
  const pg = r.postgresCeilings;
  if (pg) {
    lines.push(
      `- PostgreSQL: multi-row INSERT ${formatRate(pg.insertRowsPerSecond)} rows/s (batches of 1,000, primary key only), ${formatRate(pg.logShapedInsertRowsPerSecond)} rows/s into a table shaped like millrace's log; indexed range SELECT ${formatRate(pg.selectRowsPerSecond)} rows/s; single-row INSERT commits from 16 connections ${formatRate(pg.commitsPerSecond)}/s.`,
    );
  }
  const redis = r.redisCeilings;
  if (redis) {
    lines.push(
      `- Redis: XADD ${formatRate(redis.xaddPerSecond)} entries/s (pipelined, 1,000 a round trip); XREADGROUP + XACK ${formatRate(redis.readAckPerSecond)} entries/s (1,000 a call); persistence: ${redis.persistence}.`,
    );
  }
  return lines;
}

/** Each target of the benchmark, met or missed, with the figure that decides it. */
function targets(r: PeerResults): string[] {
  const lines: string[] = [];
  const base = r.systems.get(BASELINE);
  const check = (label: string, ok: boolean | undefined, figure: string) =>
    lines.push(
      `- ${ok === undefined ? 'not measured' : ok ? 'met' : '**missed**'}: ${label} (${figure})`,
    );
  for (const [peer, goal] of [
    ['graphile-worker', 5],
    ['pg-boss', 8],
    ['bullmq', 5],
  ] as const) {
    const mine = base?.drain?.processedPerSecond;
    const theirs = r.systems.get(peer)?.drain?.processedPerSecond;
    const ratio = mine && theirs ? mine / theirs : undefined;
    check(
      `drain on PostgreSQL ≥ ${goal}x ${peer}`,
      ratio === undefined ? undefined : ratio >= goal,
      ratio ? times(ratio) : 'no figure',
    );
  }
  for (const peer of ['graphile-worker', 'pg-boss']) {
    const mine = combineLatency(base?.latency ?? [])?.p99;
    const theirs = combineLatency(r.systems.get(peer)?.latency ?? [])?.p99;
    check(
      `latency p99 on PostgreSQL below ${peer}'s`,
      mine === undefined || theirs === undefined ? undefined : mine < theirs,
      mine === undefined || theirs === undefined
        ? 'no figure'
        : `${formatMs(mine)} vs ${formatMs(theirs)} ms`,
    );
  }
  redisTargets(r, check);
  if (r.bigLog) {
    const ratio = median(r.bigLog.big.rounds) / median(r.bigLog.small.rounds);
    check(
      `consume with ${formatRate(r.bigLog.big.logEvents)} events in the log within 10 % of ${formatRate(r.bigLog.small.logEvents)}`,
      ratio >= 0.9,
      `${Math.round(ratio * 100)} %`,
    );
  }
  return lines;
}

/** millrace's Redis provider against BullMQ on the same Redis, written to disk alike. */
function redisTargets(
  r: PeerResults,
  check: (label: string, ok: boolean | undefined, figure: string) => void,
): void {
  for (const [mine, peer] of [
    ['millrace-redis', 'bullmq'],
    ['millrace-redis-everysec', 'bullmq-everysec'],
  ] as const) {
    const a = r.systems.get(mine);
    const b = r.systems.get(peer);
    if (!a || !b) continue;
    const drain =
      (a.drain?.processedPerSecond ?? Number.NaN) / (b.drain?.processedPerSecond ?? Number.NaN);
    check(
      `drain of ${mine} ≥ 3x ${peer}`,
      Number.isNaN(drain) ? undefined : drain >= 3,
      Number.isNaN(drain) ? 'no figure' : times(drain),
    );
    const p99 = combineLatency(a.latency)?.p99;
    const theirs = combineLatency(b.latency)?.p99;
    check(
      `latency p99 of ${mine} ≤ ${peer}'s`,
      p99 === undefined || theirs === undefined ? undefined : p99 <= theirs,
      p99 === undefined || theirs === undefined
        ? 'no figure'
        : `${formatMs(p99)} vs ${formatMs(theirs)} ms`,
    );
  }
  const killed = r.systems.get('millrace-redis')?.recovery ?? [];
  if (killed.length > 0) {
    const recovered = median(killed.map((k) => k.recoveredMs ?? Number.POSITIVE_INFINITY));
    check(
      "a killed member's work on millrace-redis handled again within 1 s (median)",
      recovered <= 1000,
      Number.isFinite(recovered) ? seconds(recovered) : 'not recovered',
    );
  }
}

export function renderReport(r: PeerResults): string {
  const s = r.settings;
  const ran = (scenario: (s: SystemResults) => boolean) => [...r.systems.values()].some(scenario);
  const noted = (s: SystemResults, prefix: string) =>
    [...s.notes.keys()].some((key) => key.startsWith(prefix));
  const sections: string[] = [
    `Measured ${r.date} on ${r.machine}. One system at a time, each in a fresh schema, Redis DB or topic prefix; PostgreSQL systems share one server with \`fsync\` and \`synchronous_commit\` on. Workers run in their own process (embedded PGlite: in the enqueuer's); ratios are millrace on PostgreSQL against each system.`,
  ];
  if (ran((x) => x.drain !== undefined || noted(x, 'drain'))) {
    sections.push(
      `**Drain**: ${formatRate(s.jobs)} jobs enqueued in bulk, then handled by a no-op handler, ${s.concurrency} at once; every job checked off once.\n\n${drainTable(r)}`,
    );
  }
  if (ran((x) => x.latency.length > 0 || noted(x, 'latency'))) {
    sections.push(
      `**Latency**: single enqueues at ${s.rate}/s for ${s.latencySeconds} s while the workers run, from just before the enqueue call to the handler; ${s.latencyRounds} rounds taken in turns, their medians.\n\n${latencyTable(r)}`,
    );
  }
  if (ran((x) => x.slow !== undefined || noted(x, 'slow'))) {
    sections.push(
      `**Slow handler**: ${formatRate(s.slowJobs)} jobs, each waiting 5 ms of I/O, ${s.concurrency} at once.\n\n${slowTable(r)}`,
    );
  }
  if (ran((x) => x.scale.size > 0 || noted(x, 'scale'))) {
    sections.push(
      `**Scale**: the drain with its ${s.concurrency} handlers split over ${s.processes.join(', ')} worker processes.\n\n${scaleTable(r)}`,
    );
  }
  if (ran((x) => x.recovery.length > 0 || noted(x, 'recovery'))) {
    sections.push(
      `**Recovery**: single enqueues at ${s.rate}/s into two worker processes of ${Math.max(1, Math.floor(s.concurrency / 2))} handlers each; one of them kills itself (SIGKILL) with work in hand; the time from its exit until every job enqueued before it has been handled, by each system's defaults, ${s.recoveryTrials} kills (up to ${s.recoveryCapSeconds} s each).\n\n${recoveryTable(r)}`,
    );
  }
  const big = bigLogTable(r);
  if (big)
    sections.push(
      `**Big log**: millrace on PostgreSQL, consume throughput against history.\n\n${big}`,
    );
  const ceilings = ceilingsText(r);
  if (ceilings.length > 0)
    sections.push(`**The machine's ceilings**, same run:\n\n${ceilings.join('\n')}`);
  sections.push(`**Targets**:\n\n${targets(r).join('\n')}`);
  sections.push(
    `**How each system was configured**:\n\n${[...r.configurations].map(([name, text]) => `- ${name}: ${text}`).join('\n')}`,
  );
  return sections.join('\n\n');
}
