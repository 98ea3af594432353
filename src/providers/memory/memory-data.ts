/**
 * What one `memory()` factory holds: the log, the registry, the positions,
 * the wake-up listeners and the members' shared state. Every provider opened from the factory shares it, as
 * processes share one database, so a test can close millrace and open it
 * again (a restart) or run two instances side by side.
 */
import type { StoredApiKey } from '../../core/contracts/keys.js';
import type { DeliveryRecord } from '../../core/contracts/deliveries.js';
import type { PartitionPosition } from '../../core/contracts/positions.js';
import type { ConsumerRecord } from '../../core/contracts/registry.js';
import type { WakeupListener } from '../../core/contracts/wakeups.js';
import { MembershipData } from './memory-membership-data.js';
import { ScheduledData } from './memory-scheduled-data.js';

/** An event as stored: data kept as JSON text, so every read hands out a fresh copy. */
export interface StoredEvent {
  /** 1-based, in append order; pruning leaves gaps. */
  readonly position: number;
  readonly id: string;
  readonly stream: string;
  readonly category: string;
  readonly streamHash: number;
  readonly version: number;
  readonly subject: string;
  readonly dataJson: string;
  readonly metadataJson: string | null;
  readonly time: number;
}

export class MemoryData {
  /** In position order. */
  readonly events: StoredEvent[] = [];
  readonly ids = new Set<string>();
  /** Per stream, its events in version order. */
  readonly streams = new Map<string, StoredEvent[]>();
  readonly consumers = new Map<string, ConsumerRecord>();
  readonly keys = new Map<string, StoredApiKey>();
  /** Per consumer, per partition. */
  readonly positions = new Map<string, Map<number, PartitionPosition>>();
  /** Per consumer, per event id: deliveries off the happy path. */
  readonly deliveries = new Map<string, Map<string, DeliveryRecord>>();
  readonly listeners = new Set<WakeupListener>();
  /** Members, partition owners, generations and the allocator's lease. */
  readonly membership = new MembershipData();
  /** Delayed events waiting for their time, and the scheduler's lease. */
  readonly scheduled = new ScheduledData();
  /** The time of the newest event: times never go back, even if the clock does. */
  lastTime = 0;

  /** The last position given out; events below it may have been pruned. */
  head = 0;
}
