/**
 * The failover test is only as good as its checker: each rule is shown to
 * pass a correct history and to catch a history that breaks it.
 */
import { describe, expect, it } from 'vitest';
import {
  checkBalance,
  checkHistory,
  type Fault,
  type PublishedRecord,
  type Rule,
} from '../support/history-checker.js';
import type { Handling } from '../support/history.js';

const options = { uncommittedMs: 3000, lapseMs: 2000 };

const published: PublishedRecord[] = [
  { id: 'a0', stream: 'item-a', version: 0 },
  { id: 'a1', stream: 'item-a', version: 1 },
  { id: 'a2', stream: 'item-a', version: 2 },
  { id: 'b0', stream: 'item-b', version: 0 },
  { id: 'b1', stream: 'item-b', version: 1 },
];

const members: Record<number, string> = { 1: 'host:1:m', 2: 'host:2:m', 3: 'host:3:m' };

/** Handlings in the order given (seq 1, 2, ...): [event id, pid, partition, generation, startedAt]. */
function history(rows: [string, number, number, number, number][]): Handling[] {
  return rows.map(([eventId, pid, partition, generation, startedAt], index) => {
    const event = published.find((e) => e.id === eventId) ?? {
      id: eventId,
      stream: 'item-x',
      version: 0,
    };
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
    };
  });
}

// Stream a is partition 0 (pid 1, generation 1), stream b partition 1 (pid 2).
const good = (): [string, number, number, number, number][] => [
  ['a0', 1, 0, 1, 10_000],
  ['b0', 2, 1, 1, 10_001],
  ['a1', 1, 0, 1, 10_002],
  ['b1', 2, 1, 1, 10_003],
  ['a2', 1, 0, 1, 10_004],
];

function rules(rows: [string, number, number, number, number][], faults: Fault[] = []): Rule[] {
  return checkHistory(published, history(rows), faults, options).violations.map((v) => v.rule);
}

describe('the history checker', () => {
  it('passes a history where every event was handled once, in order', () => {
    const report = checkHistory(published, history(good()), [], options);
    expect(report.violations).toEqual([]);
    expect(report).toMatchObject({ handlings: 5, duplicates: 0 });
  });

  it('catches an event never handled, and one handled but never published', () => {
    expect(rules(good().filter(([id]) => id !== 'a1'))).toEqual(['handled']);
    expect(rules([...good(), ['zz', 1, 0, 1, 10_005]])).toEqual(['handled']);
  });

  it('catches first handlings of a stream out of version order', () => {
    const rows = good();
    [rows[2], rows[4]] = [rows[4] as never, rows[2] as never];
    expect(rules(rows)).toEqual(['order']);
  });

  it('lets a re-handling after a new owner took over interleave with later versions', () => {
    // pid 1 was killed after a1 and a2; pid 3 starts again from a1.
    const rows = good();
    rows.push(['a1', 3, 0, 2, 10_500], ['a2', 3, 0, 2, 10_501]);
    const kill: Fault = { kind: 'kill', pid: 1, at: 10_100 };
    const report = checkHistory(published, history(rows), [kill], options);
    expect(report.violations).toEqual([]);
    expect(report.duplicates).toBe(2);
  });

  it('catches a duplicate no fault explains', () => {
    expect(rules([...good(), ['a2', 3, 0, 2, 10_500]])).toEqual(['duplicate']);
  });

  it('catches a duplicate of work committed long before the fault', () => {
    const late: Fault = { kind: 'kill', pid: 1, at: 10_004 + options.uncommittedMs + 1 };
    expect(rules([...good(), ['a2', 3, 0, 2, 20_000]], [late])).toEqual(['duplicate']);
  });

  it('accepts a frozen member’s handling begun just after the stop was noted (the signal lands a moment later)', () => {
    // pid 1 noted as stopped at 10_000, still starts a2 at 10_040; pid 3 takes over and
    // handles it first; pid 1 finishes after SIGCONT, so its record comes second.
    const stop: Fault = {
      kind: 'stop',
      pid: 1,
      at: 10_000,
      resumedAt: 14_000,
      owned: [{ partition: 0, generation: 1 }],
      lost: [0],
    };
    const rows: [string, number, number, number, number][] = [
      ['a0', 1, 0, 1, 9_000],
      ['b0', 2, 1, 1, 9_001],
      ['a1', 1, 0, 1, 9_002],
      ['b1', 2, 1, 1, 9_003],
      ['a2', 3, 0, 2, 12_000],
      ['a2', 1, 0, 1, 10_040],
    ];
    expect(rules(rows, [stop])).toEqual([]);
    // Long after the note it could not have started: that is still a violation.
    const late = rows.map((r, i) => (i === 5 ? (['a2', 1, 0, 1, 10_500] as typeof r) : r));
    expect(rules(late, [stop])).toEqual(['duplicate']);
  });

  it('catches a duplicate that started before the fault said to explain it', () => {
    const kill: Fault = { kind: 'kill', pid: 1, at: 10_600 };
    expect(rules([...good(), ['a2', 3, 0, 2, 10_500]], [kill])).toEqual(['duplicate']);
  });

  it('accepts a member whose session ended handling after the new owner, within the lapse, and nothing later', () => {
    // pid 3 owned partition 0 and lost its session at 10_100; pid 1 took over.
    const rows: [string, number, number, number, number][] = [
      ['a0', 3, 0, 1, 10_000],
      ['b0', 2, 1, 1, 10_001],
      ['a1', 1, 0, 2, 10_200],
      ['a1', 3, 0, 1, 10_250],
      ['b1', 2, 1, 1, 10_300],
      ['a2', 1, 0, 2, 10_400],
    ];
    const session: Fault = { kind: 'session', pid: 3, at: 10_100 };
    expect(rules(rows, [session])).toEqual([]);
    const tooLate = rows.map((r): typeof r =>
      r[1] === 3 && r[0] === 'a1' ? ['a1', 3, 0, 1, 13_000] : r,
    );
    expect(rules(tooLate, [session])).toEqual(['duplicate']);
    // A killed process has no such grace: it handles nothing after the kill.
    expect(rules(rows, [{ kind: 'kill', pid: 3, at: 10_100 }])).toEqual(['duplicate']);
  });

  it('catches two members handling one partition in one generation', () => {
    const rows = good();
    rows[3] = ['b1', 3, 1, 1, 10_003];
    expect(rules(rows)).toEqual(['owners']);
  });

  describe('a member frozen past its session timeout', () => {
    const stop = (lost: number[]): Fault => ({
      kind: 'stop',
      pid: 1,
      at: 10_003,
      resumedAt: 14_000,
      owned: [{ partition: 0, generation: 1 }],
      lost,
    });
    const before: [string, number, number, number, number][] = [
      ['a0', 1, 0, 1, 10_000],
      ['b0', 2, 1, 1, 10_001],
      ['b1', 2, 1, 1, 10_002],
    ];

    it('catches it starting an event of a lost partition after SIGCONT, under its old generation', () => {
      const rows = [...before, ['a1', 1, 0, 1, 14_010], ['a2', 3, 0, 2, 14_020]] as typeof before;
      expect(rules(rows, [stop([0])])).toEqual(['zombie']);
    });

    it('accepts a handling begun before the stop and finished after it', () => {
      const rows = [...before, ['a1', 1, 0, 1, 10_002], ['a2', 3, 0, 2, 14_020]] as typeof before;
      expect(rules(rows, [stop([0])])).toEqual([]);
    });

    it('accepts the partition granted back under a new generation, and one it never lost', () => {
      const regained = [
        ...before,
        ['a1', 3, 0, 2, 12_000],
        ['a2', 1, 0, 3, 14_500],
      ] as typeof before;
      expect(rules(regained, [stop([0])])).toEqual([]);
      const kept = [...before, ['a1', 1, 0, 1, 14_010], ['a2', 1, 0, 1, 14_020]] as typeof before;
      expect(rules(kept, [stop([])])).toEqual([]);
    });
  });
});

describe('the balance check', () => {
  const owners = (members: (string | null)[], revoking: number[] = []) =>
    members.map((member, partition) => ({
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
