/**
 * The one path a member's assignment changes take (AssignmentFollower),
 * driven by hand: assignments that arrive while a round waits on the
 * database, a database that fails, and refused commits. Workers and the
 * session are stand-ins that record what was asked of them.
 */
import { describe, expect, it } from 'vitest';
import {
  AssignmentFollower,
  type RunningWorker,
} from '../../src/core/consumer/assignment-follower.js';
import type { PartitionWorker, StopReason } from '../../src/core/consumer/partition-worker.js';
import type { PositionCommitter } from '../../src/core/consumer/position-committer.js';
import type { Assignment, MemberSession } from '../../src/core/contracts/membership.js';
import type { PartitionPosition, PositionStore } from '../../src/core/contracts/positions.js';
import { recordingLogger, waitFor } from '../support/wait.js';

class FakeWorker {
  stoppedHow: StopReason | undefined;
  private finish!: () => void;
  readonly done = new Promise<void>((resolve) => (this.finish = resolve));

  constructor(
    readonly partition: number,
    readonly generation: number,
  ) {}

  stop(how: StopReason): void {
    if (this.stoppedHow !== 'abandon') this.stoppedHow = how;
    // Its running handler finishes at once.
    this.finish();
  }

  get stopped(): boolean {
    return this.stoppedHow !== undefined;
  }

  get drained(): boolean {
    return this.stoppedHow === 'drain';
  }
}

/** A gate a test opens: calls wait on it until then. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

function setup() {
  let assignment: Assignment = { generation: 0, partitions: [] };
  const started: FakeWorker[] = [];
  const released: number[][] = [];
  const reported: Assignment[] = [];
  const dropped: number[] = [];
  let loads = 0;
  let loadGate: Promise<void> = Promise.resolve();
  let failLoads = 0;
  let failFlushes = 0;
  let flushes = 0;
  const session = {
    current: () => assignment,
    refresh: () => Promise.resolve(),
    release: (partitions: readonly number[]) => {
      released.push([...partitions]);
      return Promise.resolve();
    },
  } as unknown as MemberSession;
  const positions = {
    load: async (): Promise<PartitionPosition[]> => {
      loads++;
      await loadGate;
      if (failLoads > 0) {
        failLoads--;
        throw new Error('the database system is shutting down');
      }
      return [];
    },
  } as unknown as PositionStore;
  const committer = {
    drop: (partition: number) => dropped.push(partition),
    flush: () => {
      flushes++;
      if (failFlushes === 0) return Promise.resolve(true);
      failFlushes--;
      return Promise.resolve(false);
    },
  } as unknown as PositionCommitter;
  const logger = recordingLogger();
  const follower = new AssignmentFollower({
    consumer: 'work',
    session,
    positions,
    committer,
    logger,
    startWorker: (partition, generation): RunningWorker => {
      const worker = new FakeWorker(partition, generation);
      started.push(worker);
      return { worker: worker as unknown as PartitionWorker, done: worker.done };
    },
    onAssigned: (a) => reported.push(a),
  });
  return {
    follower,
    started,
    released,
    reported,
    dropped,
    logger,
    loads: () => loads,
    /** The session learns a new assignment and tells the follower, as a session does. */
    assign(next: Assignment) {
      assignment = next;
      follower.heard(next);
    },
    holdLoads() {
      const g = gate();
      loadGate = g.opened;
      return g.open;
    },
    failNextLoads(count: number) {
      failLoads = count;
    },
    failNextFlushes(count: number) {
      failFlushes = count;
    },
    flushes: () => flushes,
  };
}

const byPartition = (workers: FakeWorker[]) => workers.map((w) => `${w.partition}@${w.generation}`);

describe('following an assignment', () => {
  it('starts one worker per partition however many assignments arrive while a round waits', async () => {
    const f = setup();
    const release = f.holdLoads();
    f.assign({ generation: 1, partitions: [0, 1] });
    await waitFor(() => f.loads() === 1, 'the first round to wait on the database');
    f.assign({ generation: 2, partitions: [0, 1], grantedIn: { 0: 1, 1: 1 } });
    f.assign({ generation: 3, partitions: [0, 1, 2], grantedIn: { 0: 1, 1: 1, 2: 3 } });
    release();
    await f.follower.applied();
    await waitFor(() => f.started.length === 3, 'partition 2 to start');
    await f.follower.close();
    expect(byPartition(f.started)).toEqual(['0@1', '1@1', '2@3']);
    expect(f.started.every((w) => !w.stopped)).toBe(true);
  });

  it('tries a failed round again until it holds, and reports each assignment once', async () => {
    const f = setup();
    f.failNextLoads(2);
    f.assign({ generation: 1, partitions: [0] });
    await f.follower.applied();
    expect(byPartition(f.started)).toEqual(['0@1']);
    expect(f.logger.lines.filter((l) => l.message.startsWith('could not follow'))).toHaveLength(2);
    f.follower.follow();
    f.follower.follow();
    await waitFor(() => f.loads() === 3, 'the rounds');
    await f.follower.close();
    expect(f.reported.map((a) => a.generation)).toEqual([1]);
  });

  it('stops a partition taken away at once, even while a round waits, and releases what it drained', async () => {
    const f = setup();
    f.assign({ generation: 1, partitions: [0, 1] });
    await f.follower.applied();
    const [zero, one] = f.started as [FakeWorker, FakeWorker];
    const release = f.holdLoads();
    f.assign({ generation: 2, partitions: [0, 1, 2], grantedIn: { 0: 1, 1: 1, 2: 2 } });
    await waitFor(() => f.loads() === 2, 'a round waiting on the database');
    // Partition 0 is someone else's already (this member lapsed); 1 is being handed over.
    f.assign({ generation: 3, partitions: [], handingOver: [1] });
    expect(zero.stoppedHow).toBe('abandon');
    expect(one.stoppedHow).toBeUndefined();
    release();
    await waitFor(() => f.released.length > 0, 'the release');
    await f.follower.close();
    expect(one.stoppedHow).toBe('drain');
    // Partition 2 was never started: it was gone before the round could start it.
    expect(byPartition(f.started)).toEqual(['0@1', '1@1']);
    // Only the drained partition's position was kept for its commit.
    expect(f.dropped).toEqual([0]);
    expect(f.released).toEqual([[0, 1]]);
  });

  it('stops a refused partition at once and starts it again only under a newer grant', async () => {
    const f = setup();
    f.assign({ generation: 4, partitions: [0, 1], grantedIn: { 0: 4, 1: 4 } });
    await f.follower.applied();
    const [zero] = f.started as [FakeWorker];
    f.follower.refused([{ partition: 0, position: '10', generation: 4 }]);
    expect(zero.stoppedHow).toBe('abandon');
    // A refusal for an older generation than the worker's stops nothing.
    f.follower.refused([{ partition: 1, position: '10', generation: 3 }]);
    await waitFor(() => f.loads() >= 1 && f.dropped.includes(0), 'the round after the refusal');
    expect(byPartition(f.started)).toEqual(['0@4', '1@4']);
    f.assign({ generation: 6, partitions: [0, 1], grantedIn: { 0: 6, 1: 4 } });
    await waitFor(() => f.started.length === 3, 'partition 0 under its new grant');
    await f.follower.close();
    expect(byPartition(f.started)).toEqual(['0@4', '1@4', '0@6']);
    expect((f.started[1] as FakeWorker).stopped).toBe(false);
  });

  it('neither hands over nor starts again a drained partition before its position is committed', async () => {
    const f = setup();
    f.assign({ generation: 1, partitions: [0, 1] });
    await f.follower.applied();
    const [, one] = f.started as [FakeWorker, FakeWorker];
    f.failNextFlushes(2);
    // 1 is being handed over; then the allocator keeps it here after all.
    f.assign({ generation: 2, partitions: [0], handingOver: [1] });
    await waitFor(() => one.stoppedHow === 'drain' && f.flushes() >= 1, 'the drain');
    f.assign({ generation: 3, partitions: [0, 1], grantedIn: { 0: 1, 1: 1 } });
    await waitFor(() => f.started.length === 3, 'partition 1 started again');
    await f.follower.close();
    // Two failed flushes held both the release and the new start back.
    expect(f.flushes()).toBe(3);
    expect(f.released).toEqual([]);
    expect(byPartition(f.started)).toEqual(['0@1', '1@1', '1@3']);
  });
});
