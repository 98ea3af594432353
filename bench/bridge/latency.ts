/**
 * End-to-end latency, publish to handler: a publisher process at a steady
 * rate, one bridge process, and a millrace consumer in this process whose
 * handler takes the handling time minus the publish time each message
 * carries (both on the machine's monotonic clock), after a warm-up.
 */
import { bridgedBytes } from '../../src/index.js';
import { LOG_NAMES, type LogKind } from './places.js';
import { machineMs, parseMessage } from './protocol.js';
import { CATEGORY, withRig } from './rig.js';
import { percentile } from '../stats.js';

export interface LatencyRow {
  readonly log: string;
  readonly rate: number;
  /** Messages measured (after the warm-up). */
  readonly measured: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** Published but never handled within the wait. */
  readonly missing: number;
}

const WARM_UP_SECONDS = 2;

export async function measureLatency(
  kind: LogKind,
  rate: number,
  seconds: number,
  leaseMs: number,
): Promise<LatencyRow> {
  const log = LOG_NAMES[kind];
  return withRig(kind, { bridges: 1, leaseMs, track: false }, async (rig) => {
    await rig.leader(30_000);
    const warm = Math.round(rate * WARM_UP_SECONDS);
    const total = warm + Math.round(rate * seconds);
    const handled = new Uint8Array(total);
    const latencies: number[] = [];
    let distinct = 0;
    let allHandled: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (allHandled = resolve));
    const consumer = rig.millrace.consumer({
      name: 'latency',
      sequence: { category: CATEGORY },
      ordering: 'none',
      handler: (event) => {
        const at = machineMs();
        const { n, t } = parseMessage(bridgedBytes(event));
        if (n >= warm) latencies.push(at - t);
        if (handled[n] === 0) {
          handled[n] = 1;
          if (++distinct === total) allHandled();
        }
      },
    });
    await consumer.start();
    try {
      await rig.publisher.send(0, total, rate);
      await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 30_000).unref())]);
    } finally {
      await consumer.stop();
    }
    latencies.sort((a, b) => a - b);
    return {
      log,
      rate,
      measured: latencies.length,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      max: latencies.at(-1) ?? Number.NaN,
      missing: total - distinct,
    };
  });
}
