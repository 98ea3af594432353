/**
 * A bridge's status as anyone can read it, from any process: its last
 * checkpoint says who leads, in which term, since when, and the leader's
 * counts as of its last batch.
 */
import { NotFoundError } from '../core/errors.js';
import type { Millrace } from '../millrace.js';
import { validateBridgeName } from './bridge-options.js';
import { CheckpointLog, type BridgeCounts } from './checkpoint-log.js';

export interface BridgeStatus extends BridgeCounts {
  readonly name: string;
  readonly leader: { readonly holder: string; readonly host: string; readonly pid: number };
  /** Grows with every change of leader. */
  readonly term: number;
  /** When this leader took over. */
  readonly since: Date;
  /** When it last wrote (a batch, or its takeover). */
  readonly lastWrite: Date;
  /** Batches this leader has appended. */
  readonly batches: number;
}

export async function readBridgeStatus(millrace: Millrace, name: string): Promise<BridgeStatus> {
  const latest = await new CheckpointLog(millrace, validateBridgeName(name)).latest();
  if (latest === undefined) {
    throw new NotFoundError(`no bridge named ${name} has written to this log`, {
      reason: 'bridge_not_found',
    });
  }
  const { checkpoint } = latest;
  return {
    name,
    leader: checkpoint.leader,
    term: checkpoint.term,
    since: new Date(checkpoint.since),
    lastWrite: latest.time,
    batches: checkpoint.batch,
    ...checkpoint.counts,
  };
}
