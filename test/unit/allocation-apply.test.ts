/** The allocator's load and apply on the memory store (see the suite). */
import type { Leadership } from '../../src/core/contracts/elector.js';
import { MemoryData } from '../../src/providers/memory/memory-data.js';
import { MemoryLeaseElector } from '../../src/providers/memory/memory-lease-elector.js';
import { MemoryMembershipStore } from '../../src/providers/memory/memory-membership-store.js';
import { MemoryRegistry } from '../../src/providers/memory/memory-registry.js';
import { allocationApplySuite, CONSUMER_DEFINITION } from '../support/allocation-apply-suite.js';

allocationApplySuite('memory', async () => {
  const data = new MemoryData();
  const open = () => undefined;
  await new MemoryRegistry(data, open).register(CONSUMER_DEFINITION, '0');
  const elector = new MemoryLeaseElector(
    data.membership,
    { holder: 'leader', host: 'h', pid: 1, ttlMs: 600_000, intervalMs: 600_000 },
    open,
  );
  await elector.start(() => undefined);
  return {
    store: new MemoryMembershipStore(data, open),
    leadership: elector.current() as Leadership,
    close: () => elector.stop(),
  };
});
