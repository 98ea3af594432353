/**
 * Checks a failover run's history (every handling, in insertion order)
 * against what was published and the faults that were injected. Pure, so
 * test/unit/history-checker.test.ts shows it catches each violation.
 *
 * Rules, and why each is what the guarantees promise:
 * - handled: every published event has at least one handling (at least once),
 *   and nothing was handled that was not published.
 * - order: per stream, the first handlings (by insertion sequence) are in
 *   version order. Later duplicates may interleave: a new owner re-handles
 *   from the last committed position.
 * - duplicate: every handling of an event after its first must be explained
 *   by a fault. Consecutive handlings a then b of one event are explained when
 *   one of the two processes had a fault F with the other handling starting
 *   after F, and the faulted process's own handling inside F's window:
 *     · kill -9 and SIGSTOP: the handling started before F, at most
 *       `uncommittedMs` earlier (events handled but not yet committed: a
 *       commit follows within commitIntervalMs, plus slack for its latency),
 *       or within SIGNAL_SLACK_MS after it: F's time is noted just before
 *       the signal is sent, and the process runs on until it lands;
 *     · an ended session or cut connection: from `uncommittedMs` before F to
 *       `lapseMs` after it, because such a member keeps working until its next
 *       heartbeat tells it its membership lapsed, while the new owner may
 *       already start from the same committed position (then the zombie's
 *       handling is the second one, not the first).
 *   Handlings of a member that never failed, or long before its fault, are
 *   committed work being redone: a violation.
 * - owners: no (partition, generation) is handled by two members; every grant
 *   has a new generation, so two would mean two owners at once.
 * - zombie: a member frozen (SIGSTOP) past the session timeout starts, after
 *   SIGCONT, no event of a partition it lost under the generation it held
 *   before the stop (it may get the partition back, under a new generation).
 *   A handling that began before the stop is not "started after".
 */
import type { Handling } from './history.js';

export interface PublishedRecord {
  readonly id: string;
  readonly stream: string;
  readonly version: number;
}

interface FaultBase {
  /** The member process. */
  readonly pid: number;
  /** Epoch ms, taken just before the fault was injected. */
  readonly at: number;
}

export type Fault =
  | (FaultBase & { readonly kind: 'kill' })
  | (FaultBase & {
      readonly kind: 'stop';
      /** Epoch ms, taken just before SIGCONT. */
      readonly resumedAt: number;
      /** What it owned when it was stopped (from the assignments table). */
      readonly owned: readonly { readonly partition: number; readonly generation: number }[];
      /** Of those, the partitions it no longer held at that generation just before SIGCONT. */
      readonly lost: readonly number[];
    })
  /** Its process session backend (members.session_pid) was terminated. */
  | (FaultBase & { readonly kind: 'session' })
  /** One of its busy backends was terminated. */
  | (FaultBase & { readonly kind: 'connection' });

export interface CheckOptions {
  /** How long a handled event may stay uncommitted (commit interval plus slack). */
  readonly uncommittedMs: number;
  /** How long a member whose session ended may work on before it learns it lapsed. */
  readonly lapseMs: number;
}

export type Rule = 'handled' | 'order' | 'duplicate' | 'owners' | 'zombie';

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

export function checkHistory(
  published: readonly PublishedRecord[],
  history: readonly Handling[],
  faults: readonly Fault[],
  options: CheckOptions,
): HistoryReport {
  const sorted = [...history].sort((a, b) => a.seq - b.seq);
  const byEvent = groupBy(sorted, (h) => h.eventId);
  const violations = [
    ...checkHandled(published, byEvent),
    ...checkOrder(published, byEvent),
    ...checkDuplicates(byEvent, faults, options),
    ...checkOwners(sorted),
    ...checkZombies(sorted, faults),
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
  const streams = groupBy(published, (e) => e.stream);
  for (const [stream, events] of streams) {
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

function checkDuplicates(
  byEvent: ReadonlyMap<string, readonly Handling[]>,
  faults: readonly Fault[],
  options: CheckOptions,
): Violation[] {
  const faultsOf = groupBy(faults, (f) => f.pid);
  const violations: Violation[] = [];
  for (const handlings of byEvent.values()) {
    for (let i = 1; i < handlings.length; i++) {
      const earlier = handlings[i - 1] as Handling;
      const later = handlings[i] as Handling;
      const explained =
        explains(faultsOf.get(earlier.pid), earlier, later, options) ||
        explains(faultsOf.get(later.pid), later, earlier, options);
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

/** How long a signalled process may run on after the test noted the signal's time. */
const SIGNAL_SLACK_MS = 100;

/** Whether one of `faults` (of `mine`'s process) explains `mine` being handled again by `other`. */
function explains(
  faults: readonly Fault[] | undefined,
  mine: Handling,
  other: Handling,
  { uncommittedMs, lapseMs }: CheckOptions,
): boolean {
  return (faults ?? []).some((fault) => {
    if (other.startedAt < fault.at) return false;
    const after =
      fault.kind === 'session' || fault.kind === 'connection' ? lapseMs : SIGNAL_SLACK_MS;
    return mine.startedAt >= fault.at - uncommittedMs && mine.startedAt <= fault.at + after;
  });
}

function checkOwners(history: readonly Handling[]): Violation[] {
  const owners = new Map<string, Set<string>>();
  for (const h of history) {
    const key = `${h.partition}@${h.generation}`;
    const members = owners.get(key) ?? new Set<string>();
    members.add(h.member);
    owners.set(key, members);
  }
  return [...owners]
    .filter(([, members]) => members.size > 1)
    .map(([key, members]) => ({
      rule: 'owners' as const,
      message: `partition@generation ${key} was handled by ${[...members].join(', ')}`,
    }));
}

function checkZombies(history: readonly Handling[], faults: readonly Fault[]): Violation[] {
  const violations: Violation[] = [];
  for (const fault of faults) {
    if (fault.kind !== 'stop') continue;
    const mine = history.filter((h) => h.pid === fault.pid);
    const held = new Map<number, number>();
    const hold = (partition: number, generation: number) =>
      held.set(partition, Math.max(held.get(partition) ?? -1, generation));
    for (const o of fault.owned) hold(o.partition, o.generation);
    for (const h of mine) if (h.startedAt < fault.at) hold(h.partition, h.generation);
    for (const h of mine) {
      if (h.startedAt < fault.resumedAt || !fault.lost.includes(h.partition)) continue;
      if (h.generation <= (held.get(h.partition) ?? -1)) {
        violations.push({
          rule: 'zombie',
          message: `pid ${fault.pid}, resumed at ${fault.resumedAt}, started ${h.stream}@${h.version} at ${h.startedAt} in lost partition ${h.partition} under its old generation ${h.generation}`,
        });
      }
    }
  }
  return violations;
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

function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const group = groups.get(key(item));
    if (group) group.push(item);
    else groups.set(key(item), [item]);
  }
  return groups;
}
