import { describe, expect, it } from 'vitest';
import { renderReport } from '../../bench/peers/report.js';
import type { PeerResults, SystemResults } from '../../bench/peers/results.js';
import { Tally } from '../../bench/peers/tally.js';

describe('the peer benchmark tally', () => {
  it('checks every job off once and counts the duplicates', async () => {
    const tally = new Tally(3);
    tally.record(0, undefined);
    tally.record(2, 1.5);
    tally.record(2, 2.5);
    expect(tally.complete).toBe(false);
    tally.record(1, undefined);
    await tally.untilComplete(1000);
    expect(tally).toMatchObject({ distinct: 3, duplicates: 1, latencies: [1.5, 2.5] });
  });

  it('refuses a job number the run never enqueued', () => {
    const tally = new Tally(2);
    expect(() => tally.record(2, undefined)).toThrow(/never enqueued/);
    expect(() => tally.record(-1, undefined)).toThrow(/never enqueued/);
  });

  it('fails, saying how far it got, when nothing is handled for the stall time', async () => {
    const tally = new Tally(5);
    tally.record(4, undefined);
    await expect(tally.untilComplete(300)).rejects.toThrow('stalled: 1 of 5 jobs handled');
  });
});

describe('the peer benchmark report', () => {
  const drain = (processed: number) => ({
    enqueuePerSecond: 50_000,
    processedPerSecond: processed,
    duplicates: 0,
  });
  const latency = (p99: number) => [
    { p50: 1, p95: 2, p99: p99 * 2, max: 40, handled: 100, duplicates: 0 },
    { p50: 1, p95: 2, p99, max: 80, handled: 100, duplicates: 0 },
    { p50: 1, p95: 2, p99: p99 / 2, max: 40, handled: 100, duplicates: 0 },
  ];
  const kill = (recoveredMs: number | undefined) => ({ recoveredMs, stranded: 4, duplicates: 1 });
  const system = (fields: Partial<SystemResults>): SystemResults => ({
    latency: [],
    recovery: [],
    scale: new Map(),
    notes: new Map(),
    ...fields,
  });
  const results = (): PeerResults => ({
    date: '2026-11-25',
    machine: 'a test machine',
    settings: {
      jobs: 100_000,
      slowJobs: 20_000,
      concurrency: 32,
      rate: 500,
      latencySeconds: 30,
      latencyRounds: 3,
      processes: [1, 2, 4],
      recoveryTrials: 3,
      recoveryCapSeconds: 90,
    },
    systems: new Map([
      ['millrace-postgres', system({ drain: drain(160_000), latency: latency(5) })],
      ['pg-boss', system({ drain: drain(16_000), latency: latency(20) })],
      ['graphile-worker', system({ drain: drain(40_000), latency: latency(4) })],
      ['bullmq', system({ notes: new Map([['drain', 'failed: stalled']]) })],
      [
        'millrace-redis-everysec',
        system({
          drain: drain(90_000),
          latency: latency(3),
          recovery: [kill(400), kill(1200), kill(600)],
        }),
      ],
      [
        'bullmq-everysec',
        system({
          drain: drain(30_000),
          latency: latency(2),
          recovery: [kill(31_000), kill(undefined)],
        }),
      ],
      [
        'millrace-redis',
        system({ drain: drain(20_000), recovery: [kill(900), kill(1500), kill(1100)] }),
      ],
    ]),
    bigLog: {
      small: {
        logEvents: 100_000,
        tail: 100_000,
        rounds: [100, 200, 300],
        firstStartMs: 20,
      },
      big: {
        logEvents: 10_000_000,
        tail: 100_000,
        rounds: [170, 180, 190],
        firstStartMs: 9000,
      },
    },
    configurations: new Map([['pg-boss', 'batchSize 250']]),
  });

  it('gives each system its ratio to millrace on PostgreSQL and says which targets are met', () => {
    const report = renderReport(results());
    expect(report).toContain('| pg-boss | 50,000 | 16,000 | 0 | 10.00x |');
    expect(report).toContain('| graphile-worker | 50,000 | 40,000 | 0 | 4.00x |');
    expect(report).toContain(
      '| bullmq | failed: stalled | failed: stalled | failed: stalled | – |',
    );
    expect(report).toContain('- met: drain on PostgreSQL ≥ 8x pg-boss (10.00x)');
    expect(report).toContain('- **missed**: drain on PostgreSQL ≥ 5x graphile-worker (4.00x)');
    expect(report).toContain('- not measured: drain on PostgreSQL ≥ 5x bullmq (no figure)');
    expect(report).toContain("- met: latency p99 on PostgreSQL below pg-boss's (5.00 vs 20.0 ms)");
    expect(report).toContain("- **missed**: latency p99 on PostgreSQL below graphile-worker's");
    // The rounds' median p99, each round's, the highest max, every round's jobs.
    expect(report).toContain(
      '| pg-boss | 1.00 | 2.00 | 20.0 | 40.0, 20.0, 10.0 | 80.0 | 300 | 4.00x |',
    );
    // Medians 180 vs 200: 90 %, just within the 10 % the target allows.
    expect(report).toContain('(90 %)');
    expect(report).toContain('| 10,000,000 | 9,000 | 170, 180, 190 | 180 | 90 % |');
    expect(report).toContain('- met: consume with 10,000,000 events in the log within 10 %');
    expect(report).toContain('- pg-boss: batchSize 250');
  });

  it('times each kill, and holds millrace on Redis to its targets against BullMQ', () => {
    const report = renderReport(results());
    expect(report).toContain(
      '| millrace-redis-everysec | 0.40 s, 1.20 s, 0.60 s | 0.60 s | 1.20 s | 4 | 3 |',
    );
    expect(report).toContain('| bullmq-everysec | 31.0 s, not within 90 s | – | – | 4 | 2 |');
    expect(report).toContain(
      '- met: drain of millrace-redis-everysec ≥ 3x bullmq-everysec (3.00x)',
    );
    expect(report).toContain(
      "- **missed**: latency p99 of millrace-redis-everysec ≤ bullmq-everysec's (3.00 vs 2.00 ms)",
    );
    expect(report).toContain('- not measured: drain of millrace-redis ≥ 3x bullmq (no figure)');
    expect(report).toContain(
      "- **missed**: a killed member's work on millrace-redis handled again within 1 s (median) (1.10 s)",
    );
  });

  it('leaves out the scenarios that did not run', () => {
    const report = renderReport(results());
    expect(report).toContain('**Drain**');
    expect(report).not.toContain('**Slow handler**');
    expect(report).not.toContain('**Scale**');
  });
});
