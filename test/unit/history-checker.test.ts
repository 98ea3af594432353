/**
 * The chaos runs are only as good as their checker: each rule is shown to
 * pass a correct history and to catch a history that breaks it.
 */
import { describe, expect, it } from 'vitest';
import type { Fault, Refusal } from '../support/chaos/faults.js';
import type { CommitChange, GrantChange } from '../support/chaos/database-log.js';
import {
  checkBalance,
  checkHistory,
  type PublishedRecord,
  type Rule,
} from '../support/chaos/history-checker.js';
import type { Handling } from '../support/history.js';

const options = { lapseMs: 1500 };

const published: PublishedRecord[] = [
  { id: 'a0', stream: 'item-a', version: 0 },
  { id: 'a1', stream: 'item-a', version: 1 },
  { id: 'a2', stream: 'item-a', version: 2 },
  { id: 'b0', stream: 'item-b', version: 0 },
  { id: 'b1', stream: 'item-b', version: 1 },
];

const members: Record<number, string> = { 1: 'host:1:m', 2: 'host:2:m', 3: 'host:3:m' };

/** [event id, pid, partition, generation, startedAt, finishedAt (default: 5 ms later)] */
type Row = [string, number, number, number, number, number?];

/** Handlings in the order given (seq 1, 2, ...; each process counts its own ticks). */
function history(rows: Row[]): Handling[] {
  const ticks = new Map<number, number>();
  return rows.map(([eventId, pid, partition, generation, startedAt, finishedAt], index) => {
    const event = published.find((e) => e.id === eventId) ?? {
      id: eventId,
      stream: 'item-x',
      version: 0,
    };
    const tick = (ticks.get(pid) ?? 0) + 1;
    ticks.set(pid, tick);
    return {
      seq: index + 1,
      eventId,
      stream: event.stream,
      version: event.version,
      position: String(index + 1),
      partition,
      generation,
      member: members[pid] as string,
      pid,
      startedAt,
      tick,
      finishedAt: finishedAt ?? startedAt + 5,
    };
  });
}

/** [partition, pid (null: freed), generation, at] */
type Grant = [number, number | null, number, number];

function grants(rows: Grant[]): GrantChange[] {
  return rows.map(([partition, pid, generation, at], index) => ({
    seq: index + 1,
    partition,
    member: pid === null ? null : (members[pid] as string),
    generation,
    at,
  }));
}

// Stream a is partition 0 (pid 1, generation 1), stream b partition 1 (pid 2).
const startGrants: Grant[] = [
  [0, 1, 1, 1_000],
  [1, 2, 1, 1_000],
];

const good = (): Row[] => [
  ['a0', 1, 0, 1, 10_000],
  ['b0', 2, 1, 1, 10_001],
  ['a1', 1, 0, 1, 10_010],
  ['b1', 2, 1, 1, 10_011],
  ['a2', 1, 0, 1, 10_020],
];

// pid 1 loses partition 0 at 10_200; pid 3 gets it at 10_300.
const moved: Grant[] = [...startGrants, [0, null, 1, 10_200], [0, 3, 2, 10_300]];

function check(
  rows: Row[],
  more: { faults?: Fault[]; grants?: Grant[]; refusals?: Refusal[]; commits?: CommitChange[] } = {},
) {
  return checkHistory(
    {
      published,
      history: history(rows),
      faults: more.faults ?? [],
      grants: grants(more.grants ?? startGrants),
      commits: more.commits ?? [],
      refusals: more.refusals ?? [],
    },
    options,
  );
}

const rules = (rows: Row[], more: Parameters<typeof check>[1] = {}): Rule[] =>
  [...new Set(check(rows, more).violations.map((v) => v.rule))].sort();

describe('the history checker: delivery', () => {
  it('passes a history where every event was handled once, in order', () => {
    const report = check(good());
    expect(report.violations).toEqual([]);
    expect(report).toMatchObject({ handlings: 5, duplicates: 0 });
  });

  it('catches an event never handled, and one handled but never published', () => {
    expect(rules(good().filter(([id]) => id !== 'a1'))).toEqual(['handled']);
    expect(rules([...good(), ['zz', 1, 0, 1, 10_030]])).toEqual(['handled']);
  });

  it('catches first handlings of a stream out of version order', () => {
    const rows = good();
    [rows[2], rows[4]] = [rows[4] as Row, rows[2] as Row];
    expect(rules(rows)).toEqual(['order']);
  });

  it('lets a re-handling after a new owner took over interleave with later versions', () => {
    // pid 1 was killed after a1 and a2; pid 3 starts again from a1.
    const rows: Row[] = [...good(), ['a1', 3, 0, 2, 10_500], ['a2', 3, 0, 2, 10_510]];
    const kill: Fault = { kind: 'kill', pid: 1, at: 10_100 };
    const report = check(rows, { faults: [kill], grants: moved });
    expect(report.violations).toEqual([]);
    expect(report.duplicates).toBe(2);
  });

  it('catches a duplicate no fault explains', () => {
    expect(rules([...good(), ['a2', 3, 0, 2, 10_500]], { grants: moved })).toEqual(['duplicate']);
  });

  it('catches committed work redone, fault or not', () => {
    const kill: Fault = { kind: 'kill', pid: 1, at: 10_100 };
    const rows: Row[] = [...good(), ['a2', 3, 0, 2, 10_500]];
    // a2 is the fifth handling: position 5.
    const committed = (position: bigint, at: number): CommitChange[] => [
      { partition: 0, position, at },
    ];
    expect(rules(rows, { faults: [kill], grants: moved, commits: committed(5n, 10_050) })).toEqual([
      'redone',
    ]);
    // Committed only up to a1, or only after the handling began: a2 was not done yet.
    expect(rules(rows, { faults: [kill], grants: moved, commits: committed(3n, 10_050) })).toEqual(
      [],
    );
    expect(rules(rows, { faults: [kill], grants: moved, commits: committed(5n, 10_600) })).toEqual(
      [],
    );
  });

  it('catches a duplicate that started before the fault said to explain it', () => {
    const kill: Fault = { kind: 'kill', pid: 1, at: 10_600 };
    expect(rules([...good(), ['a2', 3, 0, 2, 10_500]], { faults: [kill], grants: moved })).toEqual([
      'duplicate',
    ]);
  });

  it('explains duplicates of every process around a server restart, and of none without it', () => {
    const rows: Row[] = [...good(), ['b1', 3, 1, 2, 12_500]];
    const movedB: Grant[] = [...startGrants, [1, null, 1, 12_000], [1, 3, 2, 12_100]];
    const restart: Fault = { kind: 'restart', mode: 'immediate', at: 10_100, endedAt: 11_000 };
    expect(rules(rows, { faults: [restart], grants: movedB })).toEqual([]);
    expect(rules(rows, { faults: [{ kind: 'cut', at: 10_100 }], grants: movedB })).toEqual([]);
    expect(rules(rows, { grants: movedB })).toEqual(['duplicate']);
  });

  it('gives a member whose session ended its lease to work on, and nothing after its grant moved', () => {
    // pid 1 lost its session at 10_015, went on within its lease (a2 at 10_020), and lost
    // partition 0 at 10_200; pid 3 handles a2 again.
    const session: Fault = { kind: 'session', pid: 1, at: 10_015 };
    const rows: Row[] = [...good(), ['a2', 3, 0, 2, 10_400]];
    expect(rules(rows, { faults: [session], grants: moved })).toEqual([]);
    // Past the lapse allowance it could not have been working: committed work redone.
    const lateSession: Fault = { kind: 'session', pid: 1, at: 10_015 - 1600 };
    expect(rules(rows, { faults: [lateSession], grants: moved })).toEqual(['duplicate']);
  });
});

describe('the history checker: one owner at a time', () => {
  it('catches two members handling one partition in one generation', () => {
    const rows = good();
    rows[3] = ['b1', 3, 1, 1, 10_011];
    expect(rules(rows, { grants: [...startGrants, [1, 3, 1, 10_005]] })).toContain('owners');
  });

  it('catches two processes working one partition at overlapping times, whatever their generations', () => {
    // pid 1's a2 runs from 10_020 to 10_400; the partition moved at 10_300, pid 3 starts at 10_350.
    const rows: Row[] = [...good().slice(0, 4), ['a2', 1, 0, 1, 10_020, 10_400]];
    rows.push(['a2', 3, 0, 2, 10_350]);
    const kill: Fault = { kind: 'kill', pid: 1, at: 10_100 };
    expect(rules(rows, { faults: [kill], grants: moved })).toEqual(['overlap']);
    // Ended before the new owner started: fine.
    rows[4] = ['a2', 1, 0, 1, 10_020, 10_340];
    expect(rules(rows, { faults: [kill], grants: moved })).toEqual([]);
  });

  it('allows only a handling already running when its process was frozen to overlap', () => {
    const rows: Row[] = [
      ...good().slice(0, 4),
      ['a2', 3, 0, 2, 10_350],
      // Begun just after the stop was noted (the signal lands a moment later), ends after SIGCONT.
      ['a2', 1, 0, 1, 10_140, 14_010],
    ];
    const stop: Fault = { kind: 'stop', pid: 1, at: 10_100, resumedAt: 14_000 };
    expect(rules(rows, { faults: [stop], grants: moved })).toEqual([]);
    // Begun long after the stop was noted, it could not have been running when frozen.
    rows[5] = ['a2', 1, 0, 1, 10_250, 14_010];
    expect(rules(rows, { faults: [stop], grants: moved })).toEqual([
      'duplicate',
      'overlap',
      'superseded',
    ]);
  });

  it('catches a start after the grant was superseded, even with the new owner idle', () => {
    const stop: Fault = { kind: 'stop', pid: 1, at: 10_025, resumedAt: 14_000 };
    // Resumed, pid 1 starts a2 again under generation 1, which moved at 10_200.
    const rows: Row[] = [...good(), ['a2', 1, 0, 1, 14_010]];
    expect(rules(rows, { faults: [stop], grants: moved })).toEqual(['superseded']);
    // Granted back under a new generation, it may work again.
    const back: Grant[] = [...moved, [0, null, 2, 12_000], [0, 1, 3, 13_000]];
    const regained: Row[] = [...good(), ['a2', 1, 0, 3, 14_010]];
    expect(rules(regained, { faults: [stop], grants: back })).toEqual([]);
    // Under a generation never granted to it: caught too.
    expect(rules([...good(), ['a2', 2, 0, 1, 10_030]])).toContain('superseded');
  });

  it('catches a start after a refused commit, and allows one under a newer grant', () => {
    const refusal: Refusal = { pid: 1, at: 10_015, tick: 2, partition: 0, generation: 1 };
    // pid 1's third start (a2) came after its second start's refusal.
    expect(rules(good(), { refusals: [refusal] })).toEqual(['refused']);
    expect(rules(good(), { refusals: [{ ...refusal, tick: 3 }] })).toEqual([]);
    const regrant: Grant[] = [...startGrants, [0, 1, 2, 10_012]];
    const rows = good().map((r): Row => (r[0] === 'a2' ? ['a2', 1, 0, 2, 10_020] : r));
    expect(rules(rows, { refusals: [refusal], grants: regrant })).toEqual([]);
  });
});

describe('the balance check', () => {
  const owners = (list: (string | null)[], revoking: number[] = []) =>
    list.map((member, partition) => ({
      partition,
      member,
      revoking: revoking.includes(partition),
    }));

  it('passes every partition owned by live members within one of each other', () => {
    expect(checkBalance(5, owners(['a', 'b', 'a', 'b', 'c']), ['a', 'b', 'c'])).toEqual([]);
  });

  it('catches free, revoking, dead-owned and unbalanced partitions', () => {
    expect(checkBalance(4, owners(['a', null, 'a', 'b']), ['a', 'b'])).toEqual([
      'partition 1 has no owner',
    ]);
    expect(checkBalance(2, owners(['a', 'b'], [1]), ['a', 'b'])).toEqual([
      'partition 1 is still being revoked',
    ]);
    expect(checkBalance(2, owners(['a', 'x']), ['a', 'b'])).toContain(
      'partition 1 is owned by x, not live',
    );
    expect(checkBalance(3, owners(['a', 'a', 'a']), ['a', 'b'])).toEqual(['unbalanced: a=3, b=0']);
    expect(checkBalance(3, owners(['a', 'a']), ['a'])).toEqual(['partition 2 has no owner']);
  });
});
