/**
 * The faults a chaos run injects, as the history checker reads them: who was
 * hit (a member process, or every one of them) and when.
 */
import type { RestartMode } from './postgres-cluster.js';

interface OnProcess {
  /** The member process. */
  readonly pid: number;
  /** Epoch ms, taken just before the fault was injected. */
  readonly at: number;
}

export type Fault =
  | (OnProcess & { readonly kind: 'kill' })
  | (OnProcess & {
      readonly kind: 'stop';
      /** Epoch ms, taken just before SIGCONT. */
      readonly resumedAt: number;
    })
  /** Its process session backend (members.session_pid) was terminated. */
  | (OnProcess & { readonly kind: 'session' })
  /** One of its busy backends was terminated. */
  | (OnProcess & { readonly kind: 'connection' })
  /** Every backend of every member process was terminated. */
  | { readonly kind: 'cut'; readonly at: number }
  /** The server restarted; every connection was lost until `endedAt`. */
  | {
      readonly kind: 'restart';
      readonly mode: RestartMode;
      readonly at: number;
      readonly endedAt: number;
    };

export type FaultKind = Fault['kind'];

/** Whether a fault hit this process (faults on the server or on every member hit them all). */
export function hits(fault: Fault, pid: number): boolean {
  return !('pid' in fault) || fault.pid === pid;
}

/** A commit a member process reported refused, in its own order of events. */
export interface Refusal {
  readonly pid: number;
  readonly at: number;
  /** The process's count of starts and refusals at the refusal (see history.ts `tick`). */
  readonly tick: number;
  readonly partition: number;
  readonly generation: number;
}
