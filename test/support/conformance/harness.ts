/**
 * A target's namespace for the tests of one test file: set up on first use
 * and shared by the file's describe blocks (an in-memory PGlite database
 * costs seconds to create), closed when the file ends. Tests keep apart by
 * names of their own (a category, consumer names), which is enough because
 * every scenario reads a category sequence. Each test's Millrace instances
 * close when it ends, so no consumer of one test runs into the next.
 *
 * The file-level `afterAll` below is registered when a test file imports
 * this module, that is while vitest collects the file; vitest runs each file
 * with its own module state, so each file gets its own namespaces.
 */
import { afterAll, afterEach } from 'vitest';
import type { Millrace, MillraceOptions } from '../../../src/index.js';
import type { ConformanceTarget, TargetInstance } from './targets.js';

const namespaces = new Map<ConformanceTarget, Promise<TargetInstance>>();
let counter = 0;

afterAll(async () => {
  const opening = [...namespaces.values()];
  namespaces.clear();
  const results = await Promise.allSettled(
    opening.map(async (instance) => (await instance).close()),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
});

function namespace(target: ConformanceTarget): Promise<TargetInstance> {
  let instance = namespaces.get(target);
  if (instance === undefined) {
    instance = target.setup();
    namespaces.set(target, instance);
  }
  return instance;
}

export interface Harness {
  readonly target: ConformanceTarget;
  /** The file's namespace on this target (set up on first use). */
  instance(): Promise<TargetInstance>;
  /** Opens a Millrace on the namespace; it closes when the test ends. */
  open(options?: Omit<MillraceOptions, 'provider'>): Promise<Millrace>;
  /** A name no other test of the file uses: `unique('order')` → `order_3` (a category, a consumer). */
  unique(base: string): string;
}

/** Call inside a describe block: its tests' Millrace instances are closed after each test. */
export function useTarget(target: ConformanceTarget): Harness {
  let opened: Millrace[] = [];
  afterEach(async () => {
    const closing = opened;
    opened = [];
    await Promise.all(closing.map((millrace) => millrace.close()));
  });
  return {
    target,
    instance: () => namespace(target),
    async open(options) {
      const millrace = await (await namespace(target)).open(options);
      opened.push(millrace);
      return millrace;
    },
    unique(base) {
      counter += 1;
      return `${base}_${counter}`;
    },
  };
}
