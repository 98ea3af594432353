/**
 * Typed signals a running consumer emits, for tests ("became leader",
 * "committed") and for monitoring, instead of sleeping and hoping.
 */
import { EventEmitter } from 'node:events';
import type { Assignment } from '../contracts/membership.js';
import type { PositionCommit } from '../contracts/positions.js';
import type { Event } from '../event.js';

export interface ConsumerSignals {
  started: [];
  assigned: [assignment: Assignment];
  handled: [event: Event, partition: number];
  failed: [event: Event, partition: number, attempt: number, error: unknown];
  committed: [commits: readonly PositionCommit[]];
  /**
   * Commits were refused: their partitions are no longer this member's under
   * those generations. The workers there have already stopped starting events.
   */
  fenced: [refused: readonly PositionCommit[]];
  stopped: [];
}

export class Signals<Map extends { [K in keyof Map]: unknown[] }> {
  private readonly emitter = new EventEmitter();

  on<K extends keyof Map & string>(name: K, listener: (...args: Map[K]) => void): () => void {
    this.emitter.on(name, listener as (...args: unknown[]) => void);
    return () => this.emitter.off(name, listener as (...args: unknown[]) => void);
  }

  once<K extends keyof Map & string>(name: K): Promise<Map[K]> {
    return new Promise((resolve) => this.emitter.once(name, (...args) => resolve(args as Map[K])));
  }

  emit<K extends keyof Map & string>(name: K, ...args: Map[K]): void {
    if (this.emitter.listenerCount(name) > 0) this.emitter.emit(name, ...args);
  }
}
