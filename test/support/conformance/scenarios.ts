/**
 * Every conformance scenario, what it needs from a target, and the one way
 * tests are registered against targets.
 *
 * Why no `it.skip`: a skipped test reads as "someone turned this off". A
 * scenario a target cannot run is registered instead as a passing test
 * titled "does not apply: <target> lacks <what>", which proves the lack on
 * the opened provider (the capability really is false, a log consumer really
 * is refused, the namespace really has no process spec). A target that
 * claims less than it has, or more, fails there or in the scenario itself,
 * and capabilities.conformance.test.ts checks every claim against the
 * provider and prints the scenario × target matrix from this table.
 */
import { describe, expect, it } from 'vitest';
import { UnsupportedError, ValidationError, type EventSequence } from '../../../src/index.js';
import { useTarget, type Harness } from './harness.js';
import { TARGETS, type ConformanceTarget, type TargetCapabilities } from './targets.js';

type BooleanCapability = {
  [K in keyof TargetCapabilities]: TargetCapabilities[K] extends boolean ? K : never;
}[keyof TargetCapabilities];

export interface Need {
  /** Said in the "does not apply" test title. */
  readonly label: string;
  /** Whether the target claims it (decides which tests are registered). */
  has(target: ConformanceTarget): boolean;
  /** Proves on the opened namespace that the target really lacks it. */
  proveLacking(harness: Harness): Promise<void>;
}

function capability(name: Exclude<BooleanCapability, 'retention'>): Need {
  return {
    label: name,
    has: (target) => target.capabilities[name],
    async proveLacking(harness) {
      const millrace = await harness.open();
      expect(millrace.capabilities[name]).toBe(false);
    },
  };
}

function sequence(kind: EventSequence['kind']): Need {
  const input =
    kind === 'log' ? 'log' : kind === 'stream' ? { stream: 'probe-1' } : { category: 'probe' };
  return {
    label: `${kind} sequences`,
    has: (target) => target.capabilities.sequences.includes(kind),
    async proveLacking(harness) {
      const millrace = await harness.open();
      expect(millrace.capabilities.sequences).not.toContain(kind);
      expect(() =>
        millrace.consumer({ name: 'probe', sequence: input, handler: () => undefined }),
      ).toThrow(ValidationError);
    },
  };
}

export const needs = {
  capability,
  sequence,
  retention: {
    label: 'retention',
    has: (target) => target.capabilities.retention,
    async proveLacking(harness) {
      const millrace = await harness.open();
      await expect(millrace.prune({ keepLast: 1 })).rejects.toBeInstanceOf(UnsupportedError);
    },
  } satisfies Need,
  processes: {
    label: 'a process spec (its namespace cannot be shared with child processes)',
    has: (target) => target.sharedAcrossProcesses,
    async proveLacking(harness) {
      expect((await harness.instance()).processSpec).toBeUndefined();
    },
  } satisfies Need,
};

export interface Scenario {
  readonly title: string;
  readonly needs: readonly Need[];
}

/** The whole suite, in the order of the coverage matrix. */
export const SCENARIOS = {
  capabilities: { title: 'declared capabilities', needs: [] },
  publishConsume: { title: 'publish and consume', needs: [] },
  fanOut: { title: 'fan-out', needs: [] },
  subjectFilters: { title: 'subject filters', needs: [] },
  streamOrder: { title: 'per-stream order', needs: [] },
  globalOrder: { title: 'global order', needs: [capability('globalOrder')] },
  retries: { title: 'retries', needs: [] },
  deliveryRules: { title: 'delivery rules', needs: [] },
  deadLetters: { title: 'dead letters', needs: [] },
  competingMembers: { title: 'competing members', needs: [] },
  competingProcesses: { title: 'competing member processes', needs: [needs.processes] },
  killedMember: { title: 'kill -9 of a member', needs: [needs.processes] },
  gracefulHandover: { title: 'graceful handover', needs: [] },
  replay: { title: 'replay', needs: [] },
  optimisticConcurrency: {
    title: 'optimistic concurrency',
    needs: [capability('optimisticConcurrency')],
  },
  transactionalPublish: {
    title: 'publish in the caller’s transaction',
    needs: [capability('transactionalPublish')],
  },
  transactionalHandling: {
    title: 'effectively-once handling',
    needs: [capability('transactionalHandling')],
  },
  delayedEvents: { title: 'delayed events', needs: [capability('delayedEvents')] },
  wakeups: { title: 'wake-ups', needs: [capability('wakeups')] },
  logSequence: { title: 'log sequence', needs: [sequence('log')] },
  streamSequence: { title: 'stream sequence', needs: [sequence('stream')] },
  retention: { title: 'retention', needs: [needs.retention] },
} as const satisfies Record<string, Scenario>;

export function missingNeeds(scenario: Scenario, target: ConformanceTarget): Need[] {
  return scenario.needs.filter((need) => !need.has(target));
}

/**
 * Registers `scenario` once per target that runs, as a describe block on
 * the file's namespace of that target: `body` where the target has what the
 * scenario needs, otherwise the proof that it lacks it, plus `lacking`
 * (tests of how it refuses what it lacks).
 */
export function conformance(
  scenario: Scenario,
  body: (harness: Harness) => void,
  lacking?: (harness: Harness) => void,
): void {
  for (const target of TARGETS) {
    describe(`${scenario.title} [${target.name}]`, () => {
      const harness = useTarget(target);
      const missing = missingNeeds(scenario, target);
      if (missing.length === 0) {
        body(harness);
        return;
      }
      it(`does not apply: ${target.name} lacks ${missing.map((need) => need.label).join(', ')}`, async () => {
        for (const need of missing) await need.proveLacking(harness);
      });
      lacking?.(harness);
    });
  }
}
