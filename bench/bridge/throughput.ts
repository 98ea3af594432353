/**
 * Throughput of one bridge process from Redis Pub/Sub into a log: a burst
 * of N messages published as fast as the publisher goes, timed from the
 * first publish to the append of the last; then a ladder of paced rates on
 * a fresh place, a few seconds each, up to the first rate the bridge does
 * not sustain (it loses messages, or appends slower than they come). What
 * Pub/Sub did not deliver (Redis cuts a subscriber whose output buffer
 * outgrows its limit) is counted as lost, and the log is read back.
 */
import { LOG_NAMES, type LogKind } from './places.js';
import type { BridgeReport } from './protocol.js';
import { copiesInLog, settle, withRig, type Rig } from './rig.js';
import type { Sent } from './handles.js';

export interface ThroughputRow {
  readonly log: string;
  /** Messages per second asked of the publisher (0: as fast as it goes). */
  readonly target: number;
  readonly published: number;
  /** Publishing rate achieved. */
  readonly publishRate: number;
  /** Messages appended per second, from the first publish to the last append. */
  readonly appendRate: number;
  /** From the last publish to the last append, ms. */
  readonly lagMs: number;
  /** Most messages held unappended at once. */
  readonly maxBacklog: number;
  /** Published but never received by the bridge. */
  readonly lost: number;
  /** Received but let go unappended (a full buffer). */
  readonly dropped: number;
  /** Times Redis cut the bridge's subscription. */
  readonly cutoffs: number;
  readonly sustained: boolean;
}

export interface LogCheck {
  readonly log: string;
  readonly published: number;
  readonly inLog: number;
  readonly duplicated: number;
}

export interface ThroughputResult {
  readonly burst: ThroughputRow;
  readonly ladder: ThroughputRow[];
  readonly checks: LogCheck[];
}

/** Appending slower than this share of the publishing rate is not keeping up. */
const KEEPS_UP = 0.95;

function row(
  log: string,
  target: number,
  sent: Sent,
  before: BridgeReport,
  after: BridgeReport,
  maxBacklog: number,
): ThroughputRow {
  const appended = after.appended - before.appended;
  const publishRate = sent.published / Math.max(1e-3, (sent.lastAt - sent.firstAt) / 1000);
  const appendRate = appended / Math.max(1e-3, (after.lastAppendedAt - sent.firstAt) / 1000);
  const lost = sent.published - (after.received - before.received);
  const dropped = after.dropped - before.dropped;
  return {
    log,
    target,
    published: sent.published,
    publishRate: Math.round(publishRate),
    appendRate: Math.round(appendRate),
    lagMs: Math.max(0, after.lastAppendedAt - sent.lastAt),
    maxBacklog,
    lost,
    dropped,
    cutoffs: after.sourceDowns - before.sourceDowns,
    sustained: lost === 0 && dropped === 0 && appendRate >= KEEPS_UP * publishRate,
  };
}

/** Publishes `count` at `rate` and waits until the bridge has appended what it heard. */
async function step(rig: Rig, log: string, from: number, count: number, rate: number) {
  const bridge = await rig.leader(30_000);
  const before = bridge.status as BridgeReport;
  bridge.resetBacklog();
  const sent = await rig.publisher.send(from, count, rate);
  const after = await settle(bridge, before.received + sent.published);
  return row(log, rate, sent, before, after, bridge.maxBacklog);
}

async function check(rig: Rig, log: string, published: number): Promise<LogCheck> {
  const copies = await copiesInLog(rig.millrace, published);
  let inLog = 0;
  let duplicated = 0;
  for (const c of copies) {
    if (c > 0) inLog += 1;
    if (c > 1) duplicated += c - 1;
  }
  return { log, published, inLog, duplicated };
}

export async function measureThroughput(
  kind: LogKind,
  messages: number,
  ladder: readonly number[],
  stepSeconds: number,
  leaseMs: number,
  progress: (text: string) => void,
): Promise<ThroughputResult> {
  const log = LOG_NAMES[kind];
  const checks: LogCheck[] = [];
  const options = { bridges: 1, leaseMs, track: false };
  progress(`${log}: burst of ${messages} messages`);
  const burst = await withRig(kind, options, async (rig) => {
    const result = await step(rig, `${log}, burst`, 0, messages, 0);
    checks.push(await check(rig, `${log}, burst`, messages));
    return result;
  });
  const steps = await withRig(kind, options, async (rig) => {
    const rows: ThroughputRow[] = [];
    let next = 0;
    for (const rate of ladder) {
      progress(`${log}: ${rate} msg/s for ${stepSeconds} s`);
      const count = Math.round(rate * stepSeconds);
      const result = await step(rig, log, next, count, rate);
      rows.push(result);
      next += count;
      if (!result.sustained) break;
    }
    checks.push(await check(rig, `${log}, ladder`, next));
    return rows;
  });
  return { burst, ladder: steps, checks };
}
