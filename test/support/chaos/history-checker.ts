/**
 * Checks a chaos run's history (every handling, in insertion order) against
 * what was published, the faults injected, the grants the database made and
 * the refusals members reported. Pure, so test/unit/history-checker.test.ts
 * shows it catches each violation.
 *
 * Delivery rules (here), and why each is what the guarantees promise:
 * - handled: every published event has at least one handling (at least once),
 *   and nothing was handled that was not published.
 * - order: per stream, the first handlings (by insertion sequence) are in
 *   version order. Later duplicates may interleave: a new owner re-handles
 *   from the last committed position.
 * - redone: no event is handled again once its partition's committed
 *   position has passed it (by the database's commit log): committed work is
 *   never redone.
 * - duplicate: every handling of an event after its first must be explained
 *   by a fault. Consecutive handlings a then b of one event are explained when
 *   the process of one of them was hit by a fault F (its own, or one of the
 *   server's or every member's), the other handling started after F, and the
 *   hit process's own handling started before F's window closed (handled,
 *   not yet committed; how long before F does not matter: an earlier event
 *   retrying can hold a partition's position back for a while):
 *     · kill -9 and SIGSTOP: SIGNAL_SLACK_MS after F (F's time is noted just
 *       before the signal is sent, and the process runs on until it lands);
 *     · an ended session, a cut connection, every connection cut: `lapseMs`
 *       after F (a member cut off works on within its lease);
 *     · a server restart: `lapseMs` after the server is back.
 *   A duplicate no fault explains means a partition moved without its owner
 *   handing it over cleanly.
 *
 * Ownership rules (one owner at a time, whatever the generations): see
 * ownership-rules.ts.
 */
import type { Handling } from '../history.js';
import { hits, type Fault, type Refusal } from './faults.js';
import type { CommitChange, GrantChange } from './database-log.js';
import {
  SIGNAL_SLACK_MS,
  checkOverlaps,
  checkOwners,
  checkRefusals,
  checkSuperseded,
  groupBy,
} from './ownership-rules.js';

export interface PublishedRecord {
  readonly id: string;
  readonly stream: string;
  readonly version: number;
}

export interface CheckOptions {
  /** How long a member cut off from the database may work on (its lease, plus slack). */
  readonly lapseMs: number;
}

export interface ChaosRecord {
  readonly published: readonly PublishedRecord[];
  readonly history: readonly Handling[];
  readonly faults: readonly Fault[];
  readonly grants: readonly GrantChange[];
  readonly commits: readonly CommitChange[];
  readonly refusals: readonly Refusal[];
}

export type Rule =
  'handled' | 'order' | 'redone' | 'duplicate' | 'owners' | 'overlap' | 'superseded' | 'refused';

export interface Violation {
  readonly rule: Rule;
  readonly message: string;
}

export interface HistoryReport {
  readonly violations: readonly Violation[];
  readonly handlings: number;
  /** Handlings beyond the first of their event. */
  readonly duplicates: number;
}

export function checkHistory(record: ChaosRecord, options: CheckOptions): HistoryReport {
  const sorted = [...record.history].sort((a, b) => a.seq - b.seq);
  const byEvent = groupBy(sorted, (h) => h.eventId);
  const violations = [
    ...checkHandled(record.published, byEvent),
    ...checkOrder(record.published, byEvent),
    ...checkRedone(byEvent, record.commits, record.grants),
    ...checkDuplicates(byEvent, record.faults, options),
    ...checkOwners(sorted),
    ...checkOverlaps(sorted, record.faults),
    ...checkSuperseded(sorted, record.grants),
    ...checkRefusals(sorted, record.refusals),
  ];
  return { violations, handlings: sorted.length, duplicates: sorted.length - byEvent.size };
}

function checkHandled(
  published: readonly PublishedRecord[],
  byEvent: ReadonlyMap<string, readonly Handling[]>,
): Violation[] {
  const violations: Violation[] = [];
  const ids = new Set(published.map((e) => e.id));
  for (const event of published) {
    if (!byEvent.has(event.id)) {
      violations.push({
        rule: 'handled',
        message: `${event.stream}@${event.version} (${event.id}) was never handled`,
      });
    }
  }
  for (const [id, handlings] of byEvent) {
    if (!ids.has(id)) {
      violations.push({
        rule: 'handled',
        message: `${id} (${handlings[0]?.stream}) was handled but never published`,
      });
    }
  }
  return violations;
}

function checkOrder(
  published: readonly PublishedRecord[],
  byEvent: ReadonlyMap<string, readonly Handling[]>,
): Violation[] {
  const violations: Violation[] = [];
  for (const [stream, events] of groupBy(published, (e) => e.stream)) {
    const firsts = events
      .map((e) => byEvent.get(e.id)?.[0])
      .filter((h) => h !== undefined)
      .sort((a, b) => a.version - b.version);
    for (let i = 1; i < firsts.length; i++) {
      const before = firsts[i - 1] as Handling;
      const after = firsts[i] as Handling;
      if (before.seq > after.seq) {
        violations.push({
          rule: 'order',
          message: `${stream}: version ${after.version} was first handled (seq ${after.seq}) before version ${before.version} (seq ${before.seq})`,
        });
      }
    }
  }
  return violations;
}

function checkRedone(
  byEvent: ReadonlyMap<string, readonly Handling[]>,
  commits: readonly CommitChange[],
  grants: readonly GrantChange[],
): Violation[] {
  const violations: Violation[] = [];
  const byPartition = groupBy(commits, (c) => c.partition);
  for (const handlings of byEvent.values()) {
    if (handlings.length < 2) continue;
    const [first] = handlings as [Handling];
    const position = BigInt(first.position);
    const committedAt = (byPartition.get(first.partition) ?? [])
      .filter((c) => c.position >= position)
      .reduce((at, c) => Math.min(at, c.at), Infinity);
    for (const again of handlings.slice(1)) {
      if (again.startedAt > committedAt) {
        // The partition's grants around then, to tell who worked it.
        const around = grants
          .filter((g) => g.partition === again.partition && Math.abs(g.at - committedAt) < 5000)
          .map((g) => `${g.member ?? 'free'}@${g.generation} at ${g.at.toFixed(1)}`);
        violations.push({
          rule: 'redone',
          message: `${again.stream}@${again.version} handled again by pid ${again.pid} (generation ${again.generation}) at ${again.startedAt}, after partition ${again.partition}'s position passed it at ${committedAt.toFixed(1)}; first handled by pid ${first.pid} (generation ${first.generation}) at ${first.startedAt}; grants around then: ${around.join(', ') || 'none'}`,
        });
      }
    }
  }
  return violations;
}

function checkDuplicates(
  byEvent: ReadonlyMap<string, readonly Handling[]>,
  faults: readonly Fault[],
  options: CheckOptions,
): Violation[] {
  const violations: Violation[] = [];
  for (const handlings of byEvent.values()) {
    for (let i = 1; i < handlings.length; i++) {
      const earlier = handlings[i - 1] as Handling;
      const later = handlings[i] as Handling;
      const explained =
        explains(faults, earlier, later, options) || explains(faults, later, earlier, options);
      if (!explained) {
        violations.push({
          rule: 'duplicate',
          message: `${earlier.stream}@${earlier.version} handled again by pid ${later.pid} (seq ${later.seq}, started ${later.startedAt}) after pid ${earlier.pid} (seq ${earlier.seq}, started ${earlier.startedAt}), with no fault to explain it`,
        });
      }
    }
  }
  return violations;
}

/** Whether a fault that hit `mine`'s process explains `mine` being handled again by `other`. */
function explains(
  faults: readonly Fault[],
  mine: Handling,
  other: Handling,
  { lapseMs }: CheckOptions,
): boolean {
  return faults.some((fault) => {
    if (!hits(fault, mine.pid) || other.startedAt < fault.at) return false;
    const until =
      fault.kind === 'kill' || fault.kind === 'stop'
        ? fault.at + SIGNAL_SLACK_MS
        : fault.kind === 'restart'
          ? fault.endedAt + lapseMs
          : fault.at + lapseMs;
    return mine.startedAt <= until;
  });
}

export interface OwnerRow {
  readonly partition: number;
  readonly member: string | null;
  readonly revoking: boolean;
}

/**
 * After the faults: every partition owned (not being revoked) by a live
 * member, and the live members' counts within one of each other.
 */
export function checkBalance(
  partitions: number,
  owners: readonly OwnerRow[],
  live: readonly string[],
): string[] {
  const problems: string[] = [];
  const counts = new Map(live.map((m) => [m, 0]));
  for (let p = 0; p < partitions; p++) {
    const row = owners.find((o) => o.partition === p);
    if (row === undefined || row.member === null) problems.push(`partition ${p} has no owner`);
    else if (!counts.has(row.member))
      problems.push(`partition ${p} is owned by ${row.member}, not live`);
    else if (row.revoking) problems.push(`partition ${p} is still being revoked`);
    else counts.set(row.member, (counts.get(row.member) ?? 0) + 1);
  }
  const sizes = [...counts.values()];
  if (sizes.length > 0 && Math.max(...sizes) - Math.min(...sizes) > 1) {
    problems.push(`unbalanced: ${[...counts].map(([m, n]) => `${m}=${n}`).join(', ')}`);
  }
  return problems;
}
