import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PositionCommit, PositionWriter } from '../../src/core/contracts/positions.js';
import { PositionCommitter } from '../../src/core/consumer/position-committer.js';
import { recordingLogger } from '../support/wait.js';

/** A position writer that records every attempt and can be told to hold or fail commits. */
class ScriptedStore implements PositionWriter {
  readonly attempts: PositionCommit[][] = [];
  readonly stored = new Map<number, string>();
  inFlight = 0;
  mostInFlight = 0;
  /** The next this many commits fail. */
  failNext = 0;
  private held: Promise<void> | undefined;
  private release: (() => void) | undefined;

  async commit(
    _consumer: string,
    _member: string,
    commits: readonly PositionCommit[],
  ): Promise<void> {
    this.attempts.push([...commits]);
    this.inFlight++;
    this.mostInFlight = Math.max(this.mostInFlight, this.inFlight);
    try {
      await this.held;
      if (this.failNext > 0) {
        this.failNext--;
        throw new Error('position store unavailable');
      }
      for (const c of commits) this.stored.set(c.partition, c.position);
    } finally {
      this.inFlight--;
    }
  }

  /** Commits wait until `open()`. */
  hold(): void {
    this.held = new Promise((resolve) => (this.release = resolve));
  }

  open(): void {
    this.release?.();
    this.held = undefined;
  }
}

function setup(options: { everyEvents?: number; intervalMs?: number } = {}) {
  const store = new ScriptedStore();
  const logger = recordingLogger();
  const committed: (readonly PositionCommit[])[] = [];
  const committer = new PositionCommitter(
    (commits) => store.commit('c', 'member-1', commits),
    'c',
    'member-1',
    { everyEvents: options.everyEvents ?? 1000, intervalMs: options.intervalMs ?? 60_000 },
    logger,
    (commits) => committed.push(commits),
  );
  return { store, logger, committed, committer };
}

/** Lets queued promise callbacks run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

afterEach(() => {
  vi.useRealTimers();
});

describe('PositionCommitter', () => {
  it('commits once N events were handled, with the newest position', async () => {
    const { store, committer, committed } = setup({ everyEvents: 3 });
    committer.advance(0, '1', 1, 1);
    committer.advance(0, '2', 1, 1);
    await settle();
    expect(store.attempts).toEqual([]);
    committer.advance(0, '3', 1, 1);
    await settle();
    expect(store.attempts).toEqual([[{ partition: 0, position: '3', generation: 1 }]]);
    expect(committed).toEqual(store.attempts);
  });

  it('does not count position moves past filtered-out events as handled', async () => {
    const { store, committer } = setup({ everyEvents: 2 });
    committer.advance(0, '1', 1, 1);
    committer.advance(0, '50', 1, 0);
    await settle();
    expect(store.attempts).toEqual([]);
    committer.advance(0, '51', 1, 1);
    await settle();
    expect(store.attempts).toEqual([[{ partition: 0, position: '51', generation: 1 }]]);
  });

  it('commits every partition in one call', async () => {
    const { store, committer } = setup({ everyEvents: 3 });
    committer.advance(0, '1', 1, 1);
    committer.advance(1, '2', 1, 1);
    committer.advance(2, '3', 1, 1);
    await settle();
    expect(store.attempts).toHaveLength(1);
    expect(store.attempts[0]?.map((c) => c.partition).sort()).toEqual([0, 1, 2]);
  });

  it('commits T ms after the first event handled since the last commit', async () => {
    vi.useFakeTimers();
    const { store, committer } = setup({ intervalMs: 100 });
    committer.advance(0, '1', 1, 1);
    await vi.advanceTimersByTimeAsync(60);
    committer.advance(0, '2', 1, 1);
    await vi.advanceTimersByTimeAsync(39);
    expect(store.attempts).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(store.attempts).toEqual([[{ partition: 0, position: '2', generation: 1 }]]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(store.attempts).toHaveLength(1);
  });

  it('ignores a position that does not move forward', async () => {
    const { store, committer } = setup({ everyEvents: 1000 });
    committer.advance(0, '10', 1, 1);
    committer.advance(0, '9', 1, 1);
    committer.advance(0, '10', 1, 1);
    await committer.flush();
    expect(store.attempts).toEqual([[{ partition: 0, position: '10', generation: 1 }]]);
  });

  it('runs one commit at a time and sends the newest position next', async () => {
    const { store, committer } = setup({ everyEvents: 1 });
    store.hold();
    committer.advance(0, '1', 1, 1);
    await settle();
    committer.advance(0, '2', 1, 1);
    committer.advance(0, '3', 1, 1);
    committer.advance(1, '4', 1, 1);
    await settle();
    expect(store.attempts).toHaveLength(1);
    store.open();
    await committer.flush();
    expect(store.mostInFlight).toBe(1);
    expect(store.attempts).toEqual([
      [{ partition: 0, position: '1', generation: 1 }],
      [
        { partition: 0, position: '3', generation: 1 },
        { partition: 1, position: '4', generation: 1 },
      ],
    ]);
  });

  it('retries a failed commit without losing the newest position', async () => {
    vi.useFakeTimers();
    const { store, committer, logger } = setup({ everyEvents: 1, intervalMs: 50 });
    store.hold();
    store.failNext = 1;
    committer.advance(0, '5', 1, 1);
    committer.advance(1, '6', 1, 1);
    await settle();
    // While the failing commit is in flight, partition 0 moves on.
    committer.advance(0, '7', 1, 1);
    store.open();
    await settle();
    expect(logger.lines.map((l) => l.message)).toContain('position commit failed; retrying');
    await vi.advanceTimersByTimeAsync(200);
    expect(store.stored).toEqual(
      new Map([
        [0, '7'],
        [1, '6'],
      ]),
    );
    expect(store.attempts.at(-1)).toEqual(
      expect.arrayContaining([
        { partition: 0, position: '7', generation: 1 },
        { partition: 1, position: '6', generation: 1 },
      ]),
    );
  });

  it('retries a failed commit on its own when nothing else happens', async () => {
    vi.useFakeTimers();
    const { store, committer } = setup({ everyEvents: 1, intervalMs: 50 });
    store.failNext = 2;
    committer.advance(0, '5', 1, 1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(store.attempts).toHaveLength(3);
    expect(store.stored.get(0)).toBe('5');
  });

  it('reports a failed flush as false, never as a rejection', async () => {
    const { store, committer } = setup();
    store.failNext = 1;
    committer.advance(0, '1', 1, 1);
    await expect(committer.flush()).resolves.toBe(false);
    await expect(committer.flush()).resolves.toBe(true);
    expect(store.stored.get(0)).toBe('1');
  });

  it('forgets a dropped partition', async () => {
    const { store, committer } = setup();
    committer.advance(0, '1', 1, 1);
    committer.advance(1, '2', 1, 1);
    committer.drop(1);
    await committer.flush();
    expect(store.attempts).toEqual([[{ partition: 0, position: '1', generation: 1 }]]);
  });

  it('does not try again a partition dropped while its failing commit was in flight', async () => {
    const { store, committer } = setup();
    committer.advance(0, '10', 1, 1);
    committer.advance(1, '20', 1, 1);
    store.hold();
    store.failNext = 1;
    const failing = committer.flush();
    committer.drop(1);
    store.open();
    expect(await failing).toBe(false);
    expect(await committer.flush()).toBe(true);
    expect(store.attempts.at(-1)).toEqual([{ partition: 0, position: '10', generation: 1 }]);
    expect(store.stored.has(1)).toBe(false);
  });

  it('commits what is pending on close', async () => {
    const { store, committer } = setup();
    committer.advance(0, '8', 2, 1);
    await committer.close();
    expect(store.attempts).toEqual([[{ partition: 0, position: '8', generation: 2 }]]);
  });

  it('waits for a commit in flight on close, then commits the rest', async () => {
    const { store, committer } = setup({ everyEvents: 1 });
    store.hold();
    committer.advance(0, '1', 1, 1);
    await settle();
    committer.advance(0, '2', 1, 1);
    const closing = committer.close();
    store.open();
    await closing;
    expect(store.stored.get(0)).toBe('2');
    expect(store.mostInFlight).toBe(1);
  });

  it('rejects close with the store error when the final commit fails, and then stops retrying', async () => {
    vi.useFakeTimers();
    const { store, committer } = setup({ intervalMs: 50 });
    store.failNext = Infinity;
    committer.advance(0, '3', 1, 1);
    await expect(committer.close()).rejects.toThrow('position store unavailable');
    const attempts = store.attempts.length;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(store.attempts).toHaveLength(attempts);
  });

  it('does nothing on close when nothing is pending', async () => {
    const { store, committer } = setup();
    await committer.close();
    expect(store.attempts).toEqual([]);
  });
});
