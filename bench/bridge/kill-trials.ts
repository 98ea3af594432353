/**
 * Kill trials: three bridge processes on one PostgreSQL log, a publisher at
 * a steady rate with a sequence number in every message. Each trial finds
 * the leader, SIGKILLs it, and times, on the machine's monotonic clock, the
 * kill to another process's `leading`, `takeover` (it has fenced the dead
 * leader off and knows where to resume) and first appended batch; then a
 * replacement starts, so three run again. At the end the publisher stops,
 * the appends settle, and the whole category is read back: every number
 * missing (lost) or there more than once (duplicated). A lost number is
 * the bridge's fault when a process that heard it outlived the kill that
 * followed it; one no process heard was lost by Pub/Sub itself.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { BridgeHandle } from './handles.js';
import { machineMs } from './protocol.js';
import { copiesInLog, settle, withRig, type Rig } from './rig.js';

export interface KillTrial {
  readonly trial: number;
  readonly killed: string;
  readonly successor: string;
  readonly leadingMs: number | undefined;
  readonly takeoverMs: number;
  readonly firstAppendMs: number;
  readonly resumed: number;
  readonly deduplicated: number;
  readonly aligned: boolean;
}

export interface KillResult {
  readonly rate: number;
  readonly trials: KillTrial[];
  readonly published: number;
  readonly lost: number;
  /** Lost, though a process that heard it outlived the next kill: the bridge's fault. */
  readonly lostHeardBySurvivor: number;
  /** Lost, heard by no bridge process: Pub/Sub's. */
  readonly lostHeardByNone: number;
  /** Numbers in the log more than once, and the extra copies. */
  readonly duplicatedNumbers: number;
  readonly extraCopies: number;
}

/** Time between a replacement's start and the next kill. */
const STEADY_MS = 2000;
const WAIT_MS = 60_000;

async function trial(rig: Rig, index: number): Promise<KillTrial> {
  await sleep(STEADY_MS);
  const leader = await rig.leader(WAIT_MS);
  const others = rig.bridges.filter((b) => b !== leader && b.child.alive);
  const killedAt = machineMs();
  leader.killed = { at: killedAt, index, next: rig.publisher.next };
  leader.child.kill('SIGKILL');
  const { bridge, signal } = await Promise.any(
    others.map(async (b) => ({
      bridge: b,
      signal: await b.nextSignal('takeover', killedAt, WAIT_MS),
    })),
  );
  const firstAppend = await bridge.nextSignal('first-append', killedAt, WAIT_MS);
  const leading = bridge.signals.find((s) => s.signal === 'leading' && s.at > killedAt);
  await leader.child.exited;
  await rig.addBridge();
  return {
    trial: index + 1,
    killed: `${leader.label} (pid ${leader.child.pid})`,
    successor: bridge.label,
    leadingMs: leading === undefined ? undefined : leading.at - killedAt,
    takeoverMs: signal.at - killedAt,
    firstAppendMs: firstAppend.at - killedAt,
    resumed: signal.takeover?.resumed ?? 0,
    deduplicated: signal.takeover?.deduplicated ?? 0,
    aligned: signal.takeover?.aligned ?? true,
  };
}

/** Whether a process that heard `n` lived past the first kill after `n` was published. */
function heardBySurvivor(n: number, bridges: readonly BridgeHandle[]): boolean {
  const kills = bridges
    .map((b) => b.killed)
    .filter((k) => k !== undefined)
    .sort((a, b) => a.index - b.index);
  const next = kills.find((k) => k.next > n)?.index ?? Number.POSITIVE_INFINITY;
  return bridges.some((b) => b.heard.has(n) && (b.killed === undefined || b.killed.index > next));
}

export async function measureKills(
  trials: number,
  rate: number,
  leaseMs: number,
  progress: (text: string) => void,
): Promise<KillResult> {
  return withRig('pg', { bridges: 3, leaseMs, track: true }, async (rig) => {
    await rig.leader(WAIT_MS);
    const sending = rig.publisher.send(0, null, rate);
    const results: KillTrial[] = [];
    for (let index = 0; index < trials; index += 1) {
      progress(`kill trial ${index + 1} of ${trials}`);
      results.push(await trial(rig, index));
    }
    await sleep(STEADY_MS);
    rig.publisher.stop();
    const sent = await sending;
    progress('kill trials: reading the log back');
    await settle(await rig.leader(WAIT_MS), Number.POSITIVE_INFINITY, 1500);
    const copies = await copiesInLog(rig.millrace, sent.next);
    let lost = 0;
    let lostHeardBySurvivor = 0;
    let lostHeardByNone = 0;
    let duplicatedNumbers = 0;
    let extraCopies = 0;
    copies.forEach((c, n) => {
      if (c > 1) {
        duplicatedNumbers += 1;
        extraCopies += c - 1;
      }
      if (c > 0) return;
      lost += 1;
      if (!rig.bridges.some((b) => b.heard.has(n))) lostHeardByNone += 1;
      else if (heardBySurvivor(n, rig.bridges)) lostHeardBySurvivor += 1;
    });
    return {
      rate,
      trials: results,
      published: sent.published,
      lost,
      lostHeardBySurvivor,
      lostHeardByNone,
      duplicatedNumbers,
      extraCopies,
    };
  });
}
