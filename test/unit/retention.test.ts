import { afterEach, vi } from 'vitest';
import { memoryBackend } from '../support/memory-backend.js';
import { retentionSuite } from '../support/retention-suite.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

retentionSuite('the memory provider', () => {
  const backend = memoryBackend();
  closers.push(() => backend.close());
  return Promise.resolve({
    open: (options) => backend.open(options),
    async publishAged(millrace, events, ageMs) {
      vi.useFakeTimers({ toFake: ['Date'], now: Date.now() - ageMs });
      try {
        await millrace.publishBatch(events);
      } finally {
        vi.useRealTimers();
      }
    },
  });
});
