/**
 * A killed member's partitions move when Redis sees its connection close,
 * not only when its heartbeats stop: with a session timeout of a minute,
 * kill -9 of a member process hands its partitions to the survivor within
 * its lease (three heartbeats, under a second by default) plus the
 * allocator's tick. Real member processes on the shared Redis.
 */
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import {
  ChildMember,
  destroyAllChildren,
  waitWithMembers,
} from '../support/conformance/child-members.js';
import { PARTITIONS, isSplit } from '../support/conformance/split.js';
import { preciseNow } from '../support/conformance/workload.js';
import { TEST_REDIS_URL, checkRedis, dropPrefix, uniquePrefix } from '../support/redis.js';

const SESSION_TIMEOUT_MS = 60_000;
const prefix = uniquePrefix('session');

beforeAll(() => checkRedis());
afterEach(destroyAllChildren);
afterAll(() => dropPrefix(prefix));

it('moves a killed member’s partitions when its connection closes, long before its session timeout', async () => {
  const options = {
    spec: { kind: 'redis', url: TEST_REDIS_URL, prefix, partitions: PARTITIONS } as const,
    consumer: 'billing',
    category: 'order',
    sessionTimeoutMs: SESSION_TIMEOUT_MS,
  };
  const victim = new ChildMember({ ...options, label: 'victim' });
  await victim.ready(30_000);
  const survivor = new ChildMember({ ...options, label: 'survivor' });
  await survivor.ready(30_000);
  const members = [victim, survivor];
  await waitWithMembers(
    members,
    () => isSplit(members.map((m) => m.partitions)),
    'a split',
    30_000,
  );

  const killedAt = preciseNow();
  victim.kill();
  await victim.exited;
  await waitWithMembers(
    [survivor],
    () => survivor.partitions.length === PARTITIONS,
    'the survivor owning every partition',
    SESSION_TIMEOUT_MS / 2,
  );
  const movedAfterMs = preciseNow() - killedAt;
  console.log(`[redis] kill -9: partitions moved after ${Math.round(movedAfterMs)} ms`);
  // Only the watched connection explains a move this soon: heartbeats alone take a minute.
  expect(movedAfterMs).toBeLessThan(SESSION_TIMEOUT_MS / 4);
});
