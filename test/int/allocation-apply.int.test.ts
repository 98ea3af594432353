/** The allocator's load and apply on PostgreSQL and PGlite (see the suite). */
import type { Leadership } from '../../src/core/contracts/elector.js';
import { Millrace, pglite, postgres } from '../../src/index.js';
import { LeaseElector } from '../../src/providers/postgres/lease-elector.js';
import { ALLOCATOR_LEASE } from '../../src/providers/postgres/pg-membership-store.js';
import type { PostgresProvider } from '../../src/providers/postgres/postgres-provider.js';
import { allocationApplySuite, CONSUMER_DEFINITION } from '../support/allocation-apply-suite.js';
import { TEST_DATABASE_URL, dropSchema, uniqueSchema } from '../support/database.js';

for (const kind of ['postgres', 'pglite'] as const) {
  allocationApplySuite(kind, async () => {
    const schema = uniqueSchema('aa');
    const millrace = await Millrace.open({
      provider:
        kind === 'postgres'
          ? postgres({ connectionString: TEST_DATABASE_URL, schema, maxConnections: 4 })
          : pglite({ schema }),
    });
    const provider = millrace.provider as PostgresProvider;
    await provider.registry.register(CONSUMER_DEFINITION, '0');
    // The provider's own elector starts with its first member; there is none here.
    const elector = new LeaseElector(provider.db, provider.book, {
      holder: 'leader',
      host: 'h',
      pid: 1,
      ttlMs: 600_000,
      intervalMs: 600_000,
      lease: ALLOCATOR_LEASE,
    });
    await elector.start(() => undefined);
    return {
      store: provider.members,
      leadership: elector.current() as Leadership,
      async close() {
        await elector.stop();
        await millrace.close();
        if (kind === 'postgres') await dropSchema(schema);
      },
    };
  });
}
