/** The handlers the scenarios run: nothing at all, or 5 ms of I/O wait (a timer, as a network call would wait). */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Job } from './system.js';

export type HandlerKind = 'noop' | 'io5ms';

/** Wraps `handled` (which records the job) into the scenario's handler. */
export function makeHandler(
  kind: HandlerKind,
  handled: (job: Job) => void,
): (job: Job) => void | Promise<void> {
  if (kind === 'noop') return handled;
  return async (job) => {
    await sleep(5);
    handled(job);
  };
}
