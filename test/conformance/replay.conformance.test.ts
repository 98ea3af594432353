/**
 * Replay: a consumer stopped, reset to the beginning and started again
 * handles every event again. The members are stopped for the reset on every
 * target, because Kafka refuses to move a group's offsets while it has
 * members (a ConflictError); PostgreSQL could reset them while they run.
 * A restart without the reset handles nothing old, so it is the reset, not
 * a lost commit, that brings the events back.
 */
import { expect, it } from 'vitest';
import { SCENARIOS, conformance } from '../support/conformance/scenarios.js';
import {
  Handlings,
  Workload,
  expectEachOnce,
  expectStreamOrder,
} from '../support/conformance/workload.js';

conformance(SCENARIOS.replay, (h) => {
  it('handles every event again after a stop, a reset to the beginning and a start', async () => {
    const { settleMs } = h.target.timing;
    const millrace = await h.open();
    const workload = new Workload(h.unique('order'), 20);
    const name = h.unique('billing');
    const run = async (handled: Handlings) => {
      const consumer = millrace.consumer({
        name,
        sequence: { category: workload.category },
        handler: (event, context) => handled.add(event, context),
      });
      await consumer.start();
      return consumer;
    };

    const first = new Handlings();
    await workload.publish(millrace, 120);
    const firstRun = await run(first);
    await first.waitForAll(workload.sent, 'the first pass', settleMs);
    await firstRun.stop();
    expectEachOnce(first.all, workload.sent);

    const restart = new Handlings();
    const restarted = await run(restart);
    const marker = await workload.publish(millrace, 1);
    await restart.waitForAll(marker, 'a new event after a plain restart', settleMs);
    await restarted.stop();
    expectEachOnce(restart.all, marker);

    await millrace.resetConsumer(name, 'beginning');
    const replay = new Handlings();
    const replaying = await run(replay);
    await replay.waitForAll(workload.sent, 'the replay', settleMs);
    const live = await workload.publish(millrace, 20);
    await replay.waitForAll(live, 'new events after the replay', settleMs);
    await replaying.stop();

    expectEachOnce(replay.all, workload.sent);
    expectStreamOrder(replay.all);
    expect(replay.all).toHaveLength(first.all.length + marker.length + live.length);
  });
});
