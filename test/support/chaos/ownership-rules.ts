/**
 * The history checker's rules about who may work a partition when: one
 * owner at a time, whatever the generations. Each rule reads only recorded
 * facts (every handling with its start and end, the database's own log of
 * grants, the refusals members reported), never a member's view of itself.
 *
 * - overlap: no two processes' handlings of one partition overlap in time.
 *   The one allowance is a handling already running when its process was
 *   frozen (SIGSTOP): it resumes where it was.
 * - superseded: no handling starts after the grant it works under was
 *   superseded (the partition moved to another member, was freed, or was
 *   granted again), by the database's clock.
 * - refused: once a commit of a partition was refused, the process starts
 *   nothing more on it under that generation.
 * - owners: no partition and generation is worked by two members.
 */
import type { Handling } from '../history.js';
import { hits, type Fault, type Refusal } from './faults.js';
import type { GrantChange } from './database-log.js';
import type { Violation } from './history-checker.js';

/** How long a signalled process may run on after the test noted the signal's time. */
export const SIGNAL_SLACK_MS = 100;

/**
 * Start times are whole milliseconds (a handler's Date.now()), ends are the
 * database's clock to the microsecond: two handlings closer than this are
 * within the clocks' resolution, not overlapping.
 */
const RESOLUTION_MS = 1;

export function checkOverlaps(history: readonly Handling[], faults: readonly Fault[]): Violation[] {
  const violations: Violation[] = [];
  const frozenWhileRunning = (h: Handling) =>
    faults.some(
      (f) =>
        f.kind === 'stop' &&
        hits(f, h.pid) &&
        h.startedAt <= f.at + SIGNAL_SLACK_MS &&
        h.finishedAt >= f.at,
    );
  for (const handlings of groupBy(history, (h) => h.partition).values()) {
    const byStart = [...handlings].sort((a, b) => a.startedAt - b.startedAt);
    let open: Handling[] = [];
    for (const next of byStart) {
      open = open.filter((h) => h.finishedAt > next.startedAt + RESOLUTION_MS);
      for (const earlier of open) {
        if (earlier.pid === next.pid || frozenWhileRunning(earlier)) continue;
        violations.push({
          rule: 'overlap',
          message: `partition ${next.partition}: pid ${next.pid} started ${next.stream}@${next.version} (generation ${next.generation}) at ${next.startedAt} while pid ${earlier.pid} was handling ${earlier.stream}@${earlier.version} (generation ${earlier.generation}, ${earlier.startedAt} to ${earlier.finishedAt.toFixed(1)})`,
        });
      }
      open.push(next);
    }
  }
  return violations;
}

export function checkSuperseded(
  history: readonly Handling[],
  grants: readonly GrantChange[],
): Violation[] {
  const violations: Violation[] = [];
  const byPartition = groupBy(
    [...grants].sort((a, b) => a.seq - b.seq),
    (g) => g.partition,
  );
  for (const h of history) {
    const changes = byPartition.get(h.partition) ?? [];
    // The grant it works under: the member's latest at or before its generation.
    let index = -1;
    for (let i = changes.length - 1; i >= 0; i--) {
      const change = changes[i] as GrantChange;
      if (change.member === h.member && change.generation <= h.generation) {
        index = i;
        break;
      }
    }
    if (index < 0) {
      violations.push({
        rule: 'superseded',
        message: `pid ${h.pid} handled ${h.stream}@${h.version} in partition ${h.partition} under generation ${h.generation}, which was never granted to ${h.member}`,
      });
      continue;
    }
    const next = changes[index + 1];
    if (next !== undefined && next.at < h.startedAt) {
      violations.push({
        rule: 'superseded',
        message: `pid ${h.pid} started ${h.stream}@${h.version} in partition ${h.partition} at ${h.startedAt} under generation ${h.generation}, after its grant was superseded at ${next.at.toFixed(1)} (to ${next.member ?? 'nobody'}, generation ${next.generation})`,
      });
    }
  }
  return violations;
}

export function checkRefusals(
  history: readonly Handling[],
  refusals: readonly Refusal[],
): Violation[] {
  const violations: Violation[] = [];
  for (const refusal of refusals) {
    for (const h of history) {
      if (
        h.pid === refusal.pid &&
        h.partition === refusal.partition &&
        h.generation <= refusal.generation &&
        h.tick > refusal.tick
      ) {
        violations.push({
          rule: 'refused',
          message: `pid ${h.pid} started ${h.stream}@${h.version} in partition ${h.partition} under generation ${h.generation} at ${h.startedAt}, after a commit of it under generation ${refusal.generation} was refused at ${refusal.at}`,
        });
      }
    }
  }
  return violations;
}

export function checkOwners(history: readonly Handling[]): Violation[] {
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

export function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) {
    const group = groups.get(key(item));
    if (group) group.push(item);
    else groups.set(key(item), [item]);
  }
  return groups;
}
