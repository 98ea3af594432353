/**
 * What one `memory()` factory keeps for delayed events, as the
 * scheduled_events table and the 'scheduler' lease are kept in one database.
 */
import type { PreparedEvent } from '../../core/event.js';
import { freeLease } from './memory-membership-data.js';

export interface StoredScheduled {
  readonly event: PreparedEvent & { readonly deliverAt: Date };
  /** Schedule order: breaks ties between equal `deliverAt`. */
  readonly seq: number;
  readonly scheduledAt: number;
}

export class ScheduledData {
  /** By event id. */
  readonly events = new Map<string, StoredScheduled>();
  readonly listeners = new Set<(deliverAt: Date) => void>();
  /** The scheduler's lease, apart from the allocator's. */
  readonly lease = freeLease();
  private seq = 0;

  nextSeq(): number {
    return ++this.seq;
  }

  /** In delivery order: `deliverAt`, then schedule order. */
  ordered(): StoredScheduled[] {
    return [...this.events.values()].sort(
      (a, b) => a.event.deliverAt.getTime() - b.event.deliverAt.getTime() || a.seq - b.seq,
    );
  }

  /** Tells every provider's scheduler, once the call that scheduled has returned. */
  announce(deliverAt: Date): void {
    const listeners = [...this.listeners];
    queueMicrotask(() => listeners.forEach((listener) => listener(deliverAt)));
  }
}
