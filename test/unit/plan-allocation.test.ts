import { describe, expect, it } from 'vitest';
import type {
  AllocationChanges,
  AllocationState,
} from '../../src/core/contracts/membership-store.js';
import { planAllocation } from '../../src/core/kit/allocation/plan-allocation.js';

/**
 * A consumer's allocation as the store keeps it, and the store's side of a
 * rebalance (assignments_sync, assignments_apply) and of members releasing,
 * so planAllocation can be driven the way the allocator drives it.
 */
interface Owner {
  member: string | null;
  generation: number;
  revoking: boolean;
}

interface World {
  readonly partitions: number;
  /** Live members, oldest first. */
  members: string[];
  owners: Owner[];
  generation: number;
}

function world(partitions: number, members: readonly string[] = []): World {
  return {
    partitions,
    members: [...members],
    owners: Array.from({ length: partitions }, () => ({
      member: null,
      generation: 0,
      revoking: false,
    })),
    generation: 0,
  };
}

const names = (count: number, prefix = 'm') => Array.from({ length: count }, (_, i) => prefix + i);

/** What the allocator hands the policy, after the store freed dead members' partitions. */
function stateOf(w: World): AllocationState {
  for (const owner of w.owners) {
    if (owner.member !== null && !w.members.includes(owner.member)) {
      owner.member = null;
      owner.revoking = false;
    }
  }
  return {
    consumer: 'c',
    partitions: w.partitions,
    generation: w.generation,
    expired: [],
    members: w.members.map((id, i) => ({
      consumer: 'c',
      id,
      host: 'h',
      pid: i,
      partitions: w.partitions,
      joinedAt: new Date(i),
      heartbeatAt: new Date(i),
      expiresAt: new Date(i + 10_000),
    })),
    owners: w.owners.map((o, partition) => ({ partition, ...o })),
  };
}

/** Applies changes as assignments_apply does; the number of owners changed. */
function apply(w: World, changes: AllocationChanges): number {
  const before = w.owners.map((o) => ({ ...o }));
  const next = w.generation + 1;
  let changed = 0;
  for (const { partition, member } of changes.grant) {
    const owner = w.owners[partition];
    if (owner && before[partition]?.member === null && owner.member === null) {
      Object.assign(owner, { member, generation: next, revoking: false });
      changed++;
    }
  }
  for (const partition of changes.revoke) {
    const owner = w.owners[partition];
    if (owner && before[partition]?.member != null && !before[partition]?.revoking) {
      owner.revoking = true;
      changed++;
    }
  }
  for (const partition of changes.keep) {
    const owner = w.owners[partition];
    if (owner && before[partition]?.revoking) {
      owner.revoking = false;
      changed++;
    }
  }
  if (changed > 0) w.generation = next;
  return changed;
}

/** Every owner hands back what it was asked to release (it drained and committed). */
function releaseRevoked(w: World): void {
  for (const owner of w.owners) {
    if (owner.revoking) Object.assign(owner, { member: null, revoking: false });
  }
}

/** Rebalances and lets members release until nothing changes; the rounds it took. */
function settle(w: World, maxRounds = 5): number {
  for (let round = 1; round <= maxRounds; round++) {
    const changed = apply(w, planAllocation(stateOf(w)));
    const revoking = w.owners.some((o) => o.revoking);
    releaseRevoked(w);
    if (changed === 0 && !revoking) return round;
  }
  throw new Error(`no stable allocation after ${maxRounds} rounds`);
}

function owned(w: World, member: string): number[] {
  return w.owners.flatMap((o, partition) => (o.member === member ? [partition] : []));
}

function counts(w: World): number[] {
  return w.members.map((m) => owned(w, m).length);
}

/**
 * Collects what went wrong over thousands of cases, so one expect at the end
 * reports every failing case by name (and the loops stay fast).
 */
class Problems {
  readonly found: string[] = [];

  check(ok: boolean, what: string): void {
    if (!ok && this.found.length < 20) this.found.push(what);
  }

  balanced(w: World, context: string): void {
    const sizes = counts(w);
    const base = Math.floor(w.partitions / w.members.length);
    const describe = `${context}: sizes ${sizes.join(',')}`;
    this.check(Math.max(...sizes) - Math.min(...sizes) <= 1, `${describe} differ by more than 1`);
    this.check(
      sizes.every((n) => n === base || n === base + 1),
      `${describe} not all ${base} or ${base + 1}`,
    );
    this.check(
      w.owners.every((o) => o.member !== null && w.members.includes(o.member) && !o.revoking),
      `${context}: a partition is free, revoking or owned by a non-member`,
    );
    if (w.members.length > w.partitions) {
      this.check(
        sizes.filter((n) => n === 0).length === w.members.length - w.partitions,
        `${describe}: members beyond P should have nothing`,
      );
    }
  }
}

/** A tiny deterministic generator, so a failure can be replayed from its seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('balanced', () => {
  it('gives every member ⌊P/M⌋ or ⌈P/M⌉ at once, for every P in 1..24 and M in 1..30; members beyond P get nothing', () => {
    const problems = new Problems();
    for (let p = 1; p <= 24; p++) {
      for (let m = 1; m <= 30; m++) {
        const context = `P=${p} M=${m}`;
        const w = world(p, names(m));
        const changes = planAllocation(stateOf(w));
        problems.check(changes.revoke.length === 0 && changes.keep.length === 0, context);
        const granted = changes.grant.map((g) => g.partition).sort((a, b) => a - b);
        problems.check(
          granted.length === p && granted.every((partition, i) => partition === i),
          `${context}: every partition granted once`,
        );
        apply(w, changes);
        problems.balanced(w, context);
      }
    }
    expect(problems.found).toEqual([]);
  });

  it('gets there from everything on one member, for every P in 1..24 and M in 1..30', () => {
    const problems = new Problems();
    for (let p = 1; p <= 24; p++) {
      for (let m = 1; m <= 30; m++) {
        const context = `P=${p} M=${m}`;
        const w = world(p, ['first']);
        settle(w);
        w.members.push(...names(m - 1));
        problems.check(settle(w) <= 3, `${context}: settles within 3 rounds`);
        problems.balanced(w, context);
      }
    }
    expect(problems.found).toEqual([]);
  });
});

describe('sticky', () => {
  it('on a join, revokes only what is over each member’s new share: the moves equal the newcomer’s share, at most ⌈P/(M+1)⌉', () => {
    const problems = new Problems();
    for (let p = 1; p <= 24; p++) {
      for (let m = 1; m <= 12; m++) {
        const context = `P=${p} M=${m}+1`;
        const w = world(p, names(m));
        settle(w);
        const before = new Map(w.members.map((id) => [id, owned(w, id)]));
        w.members.push('new');
        const changes = planAllocation(stateOf(w));
        // Nothing is free, so nothing is granted: partitions move by revocation only.
        problems.check(changes.grant.length === 0, `${context}: grants nothing at first`);
        const floor = Math.floor(p / (m + 1));
        for (const [id, mine] of before) {
          const revoked = changes.revoke.filter((partition) => mine.includes(partition));
          // Never below the smaller share; a member at or under it loses nothing.
          problems.check(
            revoked.length <= Math.max(0, mine.length - floor),
            `${context}: ${id} lost ${revoked.length} of ${mine.length}`,
          );
        }
        apply(w, changes);
        settle(w);
        problems.balanced(w, context);
        const newcomer = owned(w, 'new').length;
        problems.check(
          changes.revoke.length === newcomer,
          `${context}: ${changes.revoke.length} revoked, the newcomer got ${newcomer}`,
        );
        problems.check(newcomer <= Math.ceil(p / (m + 1)), `${context}: newcomer got ${newcomer}`);
        // Every old member ends with a subset of what it had: nothing else moved.
        for (const [id, mine] of before) {
          problems.check(
            owned(w, id).every((partition) => mine.includes(partition)),
            `${context}: ${id} gained a partition`,
          );
        }
      }
    }
    expect(problems.found).toEqual([]);
  });

  it('on a leave, moves only the leaver’s partitions', () => {
    const problems = new Problems();
    for (let p = 1; p <= 24; p++) {
      for (let m = 2; m <= 12; m++) {
        for (let leaver = 0; leaver < m; leaver++) {
          const context = `P=${p} M=${m}, m${leaver} leaves`;
          const w = world(p, names(m));
          settle(w);
          const gone = `m${leaver}`;
          const freed = owned(w, gone);
          const before = new Map(w.members.map((id) => [id, owned(w, id)]));
          w.members = w.members.filter((id) => id !== gone);
          const changes = planAllocation(stateOf(w));
          problems.check(changes.revoke.length === 0, `${context}: revokes nothing`);
          const granted = changes.grant.map((g) => g.partition).sort((a, b) => a - b);
          problems.check(
            granted.join() === freed.join(),
            `${context}: grants ${granted.join()}, not the leaver's ${freed.join()}`,
          );
          apply(w, changes);
          problems.balanced(w, context);
          for (const id of w.members) {
            problems.check(
              (before.get(id) ?? []).every((partition) => owned(w, id).includes(partition)),
              `${context}: ${id} lost a partition`,
            );
          }
        }
      }
    }
    expect(problems.found).toEqual([]);
  });
});

describe('cooperative', () => {
  it('never grants a partition that has an owner: it revokes it, and grants it once released', () => {
    const w = world(4, ['a']);
    settle(w);
    w.members.push('b');
    const first = planAllocation(stateOf(w));
    expect(first).toEqual({ grant: [], revoke: [2, 3], keep: [] });
    apply(w, first);
    // Still owned (being drained): asked again, the policy neither grants nor revokes it twice.
    expect(planAllocation(stateOf(w))).toEqual({ grant: [], revoke: [], keep: [] });
    releaseRevoked(w);
    expect(planAllocation(stateOf(w))).toEqual({
      grant: [
        { partition: 2, member: 'b' },
        { partition: 3, member: 'b' },
      ],
      revoke: [],
      keep: [],
    });
  });

  it('keeps a revoking partition when its owner is within its share again', () => {
    const w = world(4, ['a', 'b']);
    w.owners = [
      { member: 'a', generation: 1, revoking: false },
      { member: 'a', generation: 1, revoking: false },
      { member: 'a', generation: 1, revoking: true },
      { member: 'a', generation: 1, revoking: true },
    ];
    w.members = ['a'];
    expect(planAllocation(stateOf(w))).toEqual({ grant: [], revoke: [], keep: [2, 3] });
  });

  it('keeps the partitions not being revoked first, and revokes the highest of the rest', () => {
    const w = world(4, ['a', 'b']);
    w.owners = [
      { member: 'a', generation: 1, revoking: true },
      { member: 'a', generation: 1, revoking: false },
      { member: 'a', generation: 1, revoking: false },
      { member: 'a', generation: 1, revoking: false },
    ];
    expect(planAllocation(stateOf(w))).toEqual({ grant: [], revoke: [3], keep: [] });
  });

  it('gives nothing to anyone when there are no members', () => {
    const w = world(3, ['a']);
    settle(w);
    w.members = [];
    expect(planAllocation(stateOf(w))).toEqual({ grant: [], revoke: [], keep: [] });
  });
});

describe('deterministic', () => {
  it('decides the same for the same state, and changes nothing it is given', () => {
    const rand = random(7);
    for (let i = 0; i < 200; i++) {
      const p = 1 + Math.floor(rand() * 16);
      const members = names(1 + Math.floor(rand() * 8));
      const w = world(p, members);
      for (const owner of w.owners) {
        const pick = Math.floor(rand() * (members.length + 1));
        owner.member = members[pick] ?? null;
        owner.revoking = owner.member !== null && rand() < 0.3;
      }
      const state = stateOf(w);
      const copy = structuredClone(state);
      const first = planAllocation(state);
      expect(planAllocation(state)).toEqual(first);
      expect(planAllocation(copy)).toEqual(first);
      expect(state).toEqual(copy);
    }
  });
});

describe('under random joins, leaves, deaths and releases', () => {
  /** One rebalance, checking what any single decision must respect; what it did. */
  function rebalance(w: World, problems: Problems, context: string): AllocationChanges {
    const state = stateOf(w);
    const changes = planAllocation(state);
    const granted = changes.grant.map((g) => g.partition);
    problems.check(
      new Set(granted).size === granted.length,
      `${context}: a partition granted twice`,
    );
    for (const { partition, member } of changes.grant) {
      problems.check(
        state.owners[partition]?.member === null,
        `${context}: granted owned ${partition}`,
      );
      problems.check(w.members.includes(member), `${context}: granted to non-member ${member}`);
    }
    for (const partition of changes.revoke) {
      const owner = state.owners[partition];
      problems.check(
        owner?.member != null && !owner.revoking,
        `${context}: revoked ${partition}, free or revoking already`,
      );
    }
    for (const partition of changes.keep) {
      problems.check(state.owners[partition]?.revoking === true, `${context}: kept ${partition}`);
    }
    const floor = Math.floor(w.partitions / w.members.length);
    const ceil = Math.ceil(w.partitions / w.members.length);
    for (const member of w.members) {
      const mine = owned(w, member);
      const revoked = changes.revoke.filter((p) => mine.includes(p)).length;
      problems.check(
        revoked <= Math.max(0, mine.length - floor),
        `${context}: ${member} revoked below ⌊P/M⌋`,
      );
    }
    apply(w, changes);
    for (const member of w.members) {
      const working = w.owners.filter((o) => o.member === member && !o.revoking).length;
      problems.check(working <= ceil, `${context}: ${member} works ${working} > ⌈P/M⌉`);
    }
    return changes;
  }

  it('always ends balanced with every partition owned by a live member', () => {
    const problems = new Problems();
    const seen = { grants: 0, revokes: 0, keeps: 0, deaths: 0, leaves: 0, releases: 0 };
    for (let seed = 1; seed <= 400; seed++) {
      const rand = random(seed);
      const w = world(1 + Math.floor(rand() * 16));
      const context = `seed ${seed} P=${w.partitions}`;
      let next = 0;
      const pick = () => Math.floor(rand() * w.members.length);
      for (let step = 0; step < 40; step++) {
        const roll = rand();
        if (roll < 0.25 || w.members.length === 0) {
          w.members.push(`m${next++}`);
        } else if (roll < 0.35) {
          // A graceful leave: everything it owned is released, and it is gone.
          const gone = w.members.splice(pick(), 1)[0];
          for (const owner of w.owners) {
            if (owner.member === gone) Object.assign(owner, { member: null, revoking: false });
          }
          seen.leaves++;
        } else if (roll < 0.45) {
          // A death: its rows stay until the next rebalance frees them.
          w.members.splice(pick(), 1);
          seen.deaths++;
        } else if (roll < 0.7) {
          const revoking = w.owners.filter((o) => o.revoking);
          const owner = revoking[Math.floor(rand() * revoking.length)];
          if (owner) {
            Object.assign(owner, { member: null, revoking: false });
            seen.releases++;
          }
        } else {
          const changes = rebalance(w, problems, `${context} step ${step}`);
          seen.grants += changes.grant.length;
          seen.revokes += changes.revoke.length;
          seen.keeps += changes.keep.length;
        }
      }
      if (w.members.length === 0) w.members.push(`m${next++}`);
      // Members now follow promptly: each rebalance is followed by their releases.
      for (let round = 0; round < 3; round++) {
        rebalance(w, problems, `${context} settling`);
        releaseRevoked(w);
      }
      problems.check(apply(w, planAllocation(stateOf(w))) === 0, `${context}: not stable`);
      problems.balanced(w, context);
    }
    expect(problems.found).toEqual([]);
    // The random runs did exercise every kind of step.
    for (const count of Object.values(seen)) expect(count).toBeGreaterThan(0);
  });
});
