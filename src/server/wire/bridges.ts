/**
 * `GET /v1/bridges/:name`: a bridge's status as its last checkpoint tells
 * it. The name is checked by the bridge's own rules (`invalid_option`); the
 * answer is the library's BridgeStatus with times as ISO strings.
 */
import { z } from 'zod';
import type { BridgeStatus } from '../../bridge/bridge-status.js';
import { time } from './responses.js';

export const BridgeParams = z.strictObject({ name: z.string() });

const count = z.number().int().min(0);

export const BridgeJson = z.object({
  name: z.string(),
  leader: z.object({ holder: z.string(), host: z.string(), pid: z.number().int() }),
  /** Grows with every change of leader. */
  term: z.number().int(),
  /** When this leader took over. */
  since: time,
  /** When it last wrote (a batch, or its takeover). */
  lastWrite: time,
  /** Batches this leader has appended. */
  batches: count,
  /** The leader's counts as of its last checkpoint. */
  received: count,
  appended: count,
  deduplicated: count,
  dropped: count,
});

export function bridgeJson(status: BridgeStatus): z.input<typeof BridgeJson> {
  return {
    name: status.name,
    leader: { holder: status.leader.holder, host: status.leader.host, pid: status.leader.pid },
    term: status.term,
    since: status.since.toISOString(),
    lastWrite: status.lastWrite.toISOString(),
    batches: status.batches,
    received: status.received,
    appended: status.appended,
    deduplicated: status.deduplicated,
    dropped: status.dropped,
  };
}
