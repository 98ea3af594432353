/**
 * Recovery bounds with real processes: a member killed with -9 has its
 * partitions handled elsewhere within the session timeout (plus the time to
 * notice and hand out), whether its death shows at once (its database
 * session ends) or only by missing heartbeats (lease coordination); a member
 * stopped with SIGTERM hands over without waiting for any timeout. The
 * speeds themselves (medians, maxima over many trials) are the members
 * benchmark's business.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { TEST_DATABASE_URL } from '../support/database.js';
import { HandoverRig } from '../support/handover-rig.js';

const SESSION_TIMEOUT_MS = 2000;
/** The guarantee: the timeout, and a second to notice, hand out and start. */
const KILL_BOUND_MS = SESSION_TIMEOUT_MS + 1000;

let rig: HandoverRig | undefined;

afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

async function openRig(coordination: 'session' | 'lease'): Promise<HandoverRig> {
  rig = new HandoverRig({
    databaseUrl: TEST_DATABASE_URL,
    members: 2,
    partitions: 8,
    sessionTimeoutMs: SESSION_TIMEOUT_MS,
    coordination,
  });
  await rig.start();
  return rig;
}

describe('recovery with member processes', () => {
  it('moves a killed member’s partitions within the session timeout, leader or not', async () => {
    const members = await openRig('session');
    const trials = [await members.kill('follower'), await members.kill('leader')];
    for (const trial of trials) expect(trial.ms).toBeLessThanOrEqual(KILL_BOUND_MS);
  });

  it('moves them within the session timeout when only heartbeats tell (lease coordination)', async () => {
    const members = await openRig('lease');
    const trial = await members.kill('leader');
    expect(trial.ms).toBeLessThanOrEqual(KILL_BOUND_MS);
  });

  it('hands over on SIGTERM without waiting for the session timeout', async () => {
    const members = await openRig('session');
    const trials = [await members.stop('follower'), await members.stop('leader')];
    for (const trial of trials) expect(trial.ms).toBeLessThan(SESSION_TIMEOUT_MS);
  });
});
