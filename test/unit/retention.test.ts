import { afterEach, vi } from 'vitest';
import { Millrace } from '../../src/index.js';
import { memory } from '../../src/testing.js';
import { retentionSuite } from '../support/retention-suite.js';

const opened: Millrace[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((m) => m.close()));
});

retentionSuite('the memory provider', () => {
  const factory = memory();
  return Promise.resolve({
    async open(options = {}) {
      const millrace = await Millrace.open({ ...options, provider: factory });
      opened.push(millrace);
      return millrace;
    },
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
