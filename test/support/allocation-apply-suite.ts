/**
 * The allocator's load and apply, against a membership store directly: a
 * plan applies only where what it was planned on still holds. Run on every
 * store under millrace's allocator (memory in unit, PostgreSQL and PGlite in
 * int).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Leadership } from '../../src/core/contracts/elector.js';
import type {
  AllocationState,
  MemberTerms,
  MembershipStore,
} from '../../src/core/contracts/membership-store.js';
import type { ConsumerDefinition } from '../../src/core/contracts/registry.js';
import { planAllocation } from '../../src/core/kit/allocation/plan-allocation.js';

const CONSUMER = 'work';
const PARTITIONS = 4;
/** What a rig registers before the suite runs. */
export const CONSUMER_DEFINITION: ConsumerDefinition = {
  name: CONSUMER,
  sequence: { kind: 'log' },
  subjects: [],
  partitions: PARTITIONS,
  maxAttempts: 1,
};

/** A store with consumer `work` registered with 4 partitions, and a current leadership. */
export interface AllocationRig {
  readonly store: MembershipStore;
  readonly leadership: Leadership;
  close(): Promise<void>;
}

const ALIVE: MemberTerms = { sessionTimeoutMs: 600_000, leaseMs: 600_000 };
/** Terms that end at once: the member is dead from its next heartbeat on. */
const GONE: MemberTerms = { sessionTimeoutMs: 0, leaseMs: 0 };

export function allocationApplySuite(name: string, setup: () => Promise<AllocationRig>): void {
  describe(`allocation load and apply, ${name}`, () => {
    let rig: AllocationRig;
    beforeEach(async () => {
      rig = await setup();
    });
    afterEach(async () => {
      await rig.close();
    });

    const join = (id: string) =>
      rig.store.join(CONSUMER, { id, host: 'h', pid: 1 }, PARTITIONS, ALIVE);
    const load = async () => (await rig.store.loadAllocation(CONSUMER)) as AllocationState;
    /** As stored, not as the allocator would see it. */
    const owners = async () => {
      const view = await rig.store.describe?.(CONSUMER);
      if (view === undefined) throw new Error('the store cannot describe its allocation');
      return view.owners.map((o) => (o.revoking ? `${o.member}*` : o.member));
    };

    it('refuses a plan made on an allocation that has moved since, writing nothing', async () => {
      await join('x');
      const first = await load();
      await rig.store.applyAllocation(first, planAllocation(first), rig.leadership);
      await join('y');
      // Planned now: take 2 and 3 from x for y.
      const planned = await load();
      const changes = planAllocation(planned);
      expect(changes.revoke).toEqual([2, 3]);
      // Meanwhile x hands 2 and 3 back and they go to y under another plan.
      await rig.store.release(CONSUMER, 'x', [2, 3]);
      const meanwhile = await load();
      await rig.store.applyAllocation(
        meanwhile,
        { grant: [2, 3].map((partition) => ({ partition, member: 'y' })), revoke: [], keep: [] },
        rig.leadership,
      );
      const result = await rig.store.applyAllocation(planned, changes, rig.leadership);
      expect(result).toMatchObject({ changed: false, stale: true });
      // Applied, it would have asked y to give up what it was just given.
      expect(await owners()).toEqual(['x', 'x', 'y', 'y']);
      expect((await load()).generation).toBe(meanwhile.generation + 1);
    });

    it('grants nothing to a member that left after the plan was made', async () => {
      await join('x');
      await join('y');
      const planned = await load();
      const changes = planAllocation(planned);
      expect(new Set(changes.grant.map((g) => g.member))).toEqual(new Set(['x', 'y']));
      await rig.store.leave(CONSUMER, 'x');
      const result = await rig.store.applyAllocation(planned, changes, rig.leadership);
      expect(result.changed).toBe(true);
      const after = await owners();
      expect(after).not.toContain('x');
      expect(after.filter((o) => o === 'y')).toHaveLength(2);
      expect(after.filter((o) => o === null)).toHaveLength(2);
    });

    it('removes the members found dead and hands their partitions on in one apply', async () => {
      await join('x');
      const first = await load();
      await rig.store.applyAllocation(first, planAllocation(first), rig.leadership);
      expect(await rig.store.heartbeat(CONSUMER, 'x', GONE)).toBeDefined();
      await join('y');
      const planned = await load();
      expect(planned.expired).toEqual(['x']);
      expect(planned.members.map((m) => m.id)).toEqual(['y']);
      expect(planned.owners.every((o) => o.member === null)).toBe(true);
      const result = await rig.store.applyAllocation(
        planned,
        planAllocation(planned),
        rig.leadership,
      );
      expect(result).toMatchObject({ changed: true, expired: ['x'] });
      expect(await owners()).toEqual(['y', 'y', 'y', 'y']);
      expect(await rig.store.heartbeat(CONSUMER, 'x', ALIVE)).toBeUndefined();
    });

    it('refuses a deposed leader', async () => {
      await join('x');
      const planned = await load();
      const deposed = { ...rig.leadership, term: rig.leadership.term + 1 };
      await expect(
        rig.store.applyAllocation(planned, planAllocation(planned), deposed),
      ).rejects.toMatchObject({ code: 'fenced' });
      expect((await owners()).filter((o) => o !== null)).toEqual([]);
    });
  });
}
