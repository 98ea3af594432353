/**
 * Instances of millrace on one memory factory, as processes share one
 * database: the memory side of the suites that also run on PostgreSQL and
 * PGlite (see providers.ts).
 */
import { Millrace, type MillraceOptions } from '../../src/index.js';
import { memory } from '../../src/testing.js';

export interface MemoryBackend {
  /** Opens one more instance on the same data (a restart, or another process). */
  open(options?: Omit<MillraceOptions, 'provider'>): Promise<Millrace>;
  /** Closes every instance opened. */
  close(): Promise<void>;
}

export function memoryBackend(): MemoryBackend {
  const factory = memory();
  const opened: Millrace[] = [];
  return {
    async open(options = {}) {
      const millrace = await Millrace.open({ ...options, provider: factory });
      opened.push(millrace);
      return millrace;
    },
    async close() {
      await Promise.all(opened.splice(0).map((m) => m.close()));
    },
  };
}
