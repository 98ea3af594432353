/**
 * Where a new leader takes over: the last of the messages it holds that its
 * predecessor had appended. Every subscriber of one server hears the same
 * messages in the same order, so the predecessor's last appended messages
 * (its checkpoint's tail: identities and arrival times) show up as a run in
 * the new leader's buffer. The run is found by identity, the longest run
 * wins, and arrival time breaks ties between runs of identical messages.
 *
 * What it cannot tell apart: a run of messages identical in channel and
 * bytes, repeated with nothing else between them, heard closer together
 * than the clocks of the two processes differ. Then it may resume early or
 * late by as many repeats as fit in that difference (as many duplicates or
 * losses). When none of the tail is held (the new
 * leader subscribed later, or let it go), arrival time alone decides:
 * whatever was heard after the predecessor's last append is appended.
 */
import type { HeardMessage } from './message-buffer.js';

/** One appended message as a checkpoint records it. */
export interface TailEntry {
  readonly hash: string;
  /** When the appending leader heard it (ms since the epoch). */
  readonly at: number;
}

export interface ResumePoint {
  /** Index in `held` of the last message already in the log; -1 when none is. */
  readonly index: number;
  /** Matched by identity (true) or by arrival time alone. */
  readonly aligned: boolean;
}

export function resumePoint(
  held: readonly HeardMessage[],
  tail: readonly TailEntry[],
): ResumePoint {
  const last = tail.at(-1);
  if (last === undefined) return { index: -1, aligned: true };
  const found = lastAppended(held, tail, 0);
  if (found >= 0) return { index: found, aligned: true };
  let index = -1;
  while (index + 1 < held.length && (held[index + 1] as HeardMessage).receivedAt <= last.at) {
    index += 1;
  }
  return { index, aligned: false };
}

/**
 * The index in `held` (at or after `from`) of the last message of `tail`,
 * found by identity: the longest run matching the tail wins, the closest
 * arrival time breaks ties; -1 when it is not held there.
 */
export function lastAppended(
  held: readonly HeardMessage[],
  tail: readonly TailEntry[],
  from: number,
): number {
  const last = tail.at(-1);
  if (last === undefined) return -1;
  let best = -1;
  let bestRun = 0;
  let bestSkew = Infinity;
  for (let i = held.length - 1; i >= from; i -= 1) {
    if ((held[i] as HeardMessage).hash !== last.hash) continue;
    let run = 1;
    while (
      run < tail.length &&
      i - run >= 0 &&
      (held[i - run] as HeardMessage).hash === (tail[tail.length - 1 - run] as TailEntry).hash
    ) {
      run += 1;
    }
    const skew = Math.abs((held[i] as HeardMessage).receivedAt - last.at);
    if (run > bestRun || (run === bestRun && skew < bestSkew)) {
      best = i;
      bestRun = run;
      bestSkew = skew;
    }
  }
  return best;
}
