/**
 * Positions are built on transaction ids plus an offset (log_clock in
 * 0001_log.sql). A dump restored into a cluster whose counter started again
 * would put new events below old ones, where readers that passed them never
 * look; opening raises the offset first. The restore is simulated by moving
 * the stored events far up, as if an older cluster had written them, and the
 * test first shows that the log is then really behind: an append would land
 * below the newest event.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BEGINNING, comparePositions } from '../../src/index.js';
import { openBackend, PROVIDERS, type TestBackend } from '../support/providers.js';

/** Transactions the restored log is ahead of the cluster's counter. */
const AHEAD_BY = 1_000_000_000;
let backend: TestBackend | undefined;
afterEach(async () => {
  await backend?.close();
  backend = undefined;
});

describe.each(PROVIDERS)('%s: opening a log that is ahead of its clock', (name) => {
  it('raises the clock, so new events sort after every stored one', async () => {
    backend = await openBackend(name);
    const clock = `"${backend.schema}".log_clock`;
    const first = await backend.open({ deliverDelayed: false });
    const stored = await first.publishBatch([
      { stream: 'order-1', subject: 'order.created', data: 1 },
      { stream: 'order-2', subject: 'order.created', data: 2 },
    ]);
    await first.close();
    expect(stored).toHaveLength(2);

    await backend.sql(
      `UPDATE "${backend.schema}".events SET position = position + ($1::bigint << 20)`,
      [AHEAD_BY],
    );
    const [log] = await backend.sql<{ newest: string; behind: boolean }>(
      `SELECT max(position)::text AS newest,
              ("${backend.schema}".log_xid(pg_current_xact_id()) << 20) < max(position) AS behind
       FROM "${backend.schema}".events`,
    );
    expect(log?.behind).toBe(true);
    const newest = log?.newest as string;

    const second = await backend.open({ deliverDelayed: false });
    const [after] = await second.publishBatch([
      { stream: 'order-1', subject: 'order.paid', data: 3 },
    ]);
    expect(comparePositions(after?.position as string, newest)).toBeGreaterThan(0);
    const page = await second.read({ after: BEGINNING });
    expect(page.events.map((e) => e.subject)).toEqual([
      'order.created',
      'order.created',
      'order.paid',
    ]);
    const [raised] = await backend.sql<{ offset: string }>(
      `SELECT xid_offset::text AS offset FROM ${clock}`,
    );
    expect(BigInt(raised?.offset as string)).toBeGreaterThan(0n);
  });
});
