/** The bridge benchmark's markdown tables. */
import { formatMs, formatRate, table } from '../stats.js';
import type { KillResult } from './kill-trials.js';
import type { LatencyRow } from './latency.js';
import type { LogCheck, ThroughputResult, ThroughputRow } from './throughput.js';

const count = (n: number) => n.toLocaleString('en-US');

function median(sorted: readonly number[]): number {
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) return sorted[middle] as number;
  return ((sorted[middle - 1] ?? Number.NaN) + (sorted[middle] ?? Number.NaN)) / 2;
}

export function throughputTable(results: readonly ThroughputResult[]): string {
  const rows = results
    .flatMap((r) => [r.burst, ...r.ladder])
    .map((r: ThroughputRow) => [
      r.log,
      r.target === 0 ? 'as fast as it goes' : formatRate(r.target),
      count(r.published),
      formatRate(r.publishRate),
      `**${formatRate(r.appendRate)}**`,
      formatMs(r.lagMs),
      count(r.maxBacklog),
      count(r.lost),
      count(r.dropped),
      String(r.cutoffs),
      r.target === 0 ? '-' : r.sustained ? 'yes' : 'no',
    ]);
  return table(
    [
      'log',
      'asked (msg/s)',
      'published',
      'published (msg/s)',
      'appended (msg/s)',
      'last publish to last append (ms)',
      'most unappended',
      'lost (not heard)',
      'dropped (buffer full)',
      'cut off by Redis',
      'kept up, nothing lost',
    ],
    rows,
  );
}

/** The highest ladder rate kept up with, nothing lost, per log. */
export function sustainedLines(results: readonly ThroughputResult[]): string {
  return results
    .map((r) => {
      const best = r.ladder.filter((row) => row.sustained).at(-1);
      const log = r.burst.log.replace(/, burst$/, '');
      return best === undefined
        ? `- ${log}: no rate of the ladder kept up with nothing lost`
        : `- ${log}: ${formatRate(best.target)} msg/s sustained with nothing lost (appended at ${formatRate(best.appendRate)} msg/s)`;
    })
    .join('\n');
}

export function checkTable(checks: readonly LogCheck[]): string {
  return table(
    ['run', 'published', 'in the log (distinct)', 'missing from the log', 'extra copies'],
    checks.map((c) => [
      c.log,
      count(c.published),
      count(c.inLog),
      count(c.published - c.inLog),
      count(c.duplicated),
    ]),
  );
}

export function latencyTable(rows: readonly LatencyRow[]): string {
  return table(
    ['log', 'rate (msg/s)', 'measured', 'p50 (ms)', 'p99 (ms)', 'max (ms)', 'never handled'],
    rows.map((r) => [
      r.log,
      formatRate(r.rate),
      count(r.measured),
      formatMs(r.p50),
      formatMs(r.p99),
      formatMs(r.max),
      count(r.missing),
    ]),
  );
}

export function killTable(result: KillResult): string {
  const ms = (v: number | undefined) => (v === undefined ? '-' : formatMs(v));
  return table(
    [
      'trial',
      'killed leader',
      'successor',
      'kill to leading (ms)',
      'kill to takeover (ms)',
      'kill to first append (ms)',
      'resumed',
      'deduplicated',
      'aligned',
    ],
    result.trials.map((t) => [
      String(t.trial),
      t.killed,
      t.successor,
      ms(t.leadingMs),
      `**${ms(t.takeoverMs)}**`,
      ms(t.firstAppendMs),
      count(t.resumed),
      count(t.deduplicated),
      t.aligned ? 'yes' : 'no',
    ]),
  );
}

export function killSummary(result: KillResult): string {
  const sorted = (pick: (t: KillResult['trials'][number]) => number) =>
    result.trials.map(pick).sort((a, b) => a - b);
  const takeover = sorted((t) => t.takeoverMs);
  const append = sorted((t) => t.firstAppendMs);
  return table(
    [
      'takeover median (ms)',
      'takeover max (ms)',
      'first append median (ms)',
      'first append max (ms)',
      'published',
      'lost',
      'lost, heard by a survivor',
      'lost, heard by none',
      'duplicated numbers',
      'extra copies',
    ],
    [
      [
        formatMs(median(takeover)),
        formatMs(takeover.at(-1) ?? Number.NaN),
        formatMs(median(append)),
        formatMs(append.at(-1) ?? Number.NaN),
        count(result.published),
        count(result.lost),
        count(result.lostHeardBySurvivor),
        count(result.lostHeardByNone),
        count(result.duplicatedNumbers),
        count(result.extraCopies),
      ],
    ],
  );
}
