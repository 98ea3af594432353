/**
 * Membership under millrace's own allocator: every process that runs a
 * member campaigns for leadership, the leader's allocator assigns
 * partitions, and each member follows its assignment. Started with the first
 * member to join; stopped (resigning at once) when the provider closes.
 */
import { Allocator } from '../allocation/allocator.js';
import type { LeaderElector, Leadership } from '../../contracts/elector.js';
import {
  EVERY_CONSUMER,
  type MembershipStore,
  type RebalanceResult,
} from '../../contracts/membership-store.js';
import type {
  JoinRequest,
  MemberSession,
  Membership,
  MembershipView,
} from '../../contracts/membership.js';
import type { PositionWriter } from '../../contracts/positions.js';
import type { Logger } from '../../logger.js';
import { defaultLogger } from '../../logger.js';
import { AllocatedMemberSession } from './allocated-member-session.js';

export interface AllocatedMembershipOptions {
  /** How often the leader looks for dead members. @defaultValue 250 */
  readonly tickMs?: number;
  readonly logger?: Logger;
}

export interface MembershipSignals {
  onLeadership?(leadership: Leadership | undefined): void;
  onRebalanced?(consumer: string, result: RebalanceResult): void;
}

export class AllocatedMembership<Transaction = unknown> implements Membership<Transaction> {
  private readonly sessions = new Set<AllocatedMemberSession<Transaction>>();
  private readonly allocator: Allocator;
  private readonly logger: Logger;
  private started: Promise<void> | undefined;
  private stopListening: (() => Promise<void>) | undefined;
  private readonly stopWatchingSession: () => void;

  constructor(
    private readonly store: MembershipStore,
    /** Where members' positions are stored, fenced by the store's assignments. */
    private readonly positions: PositionWriter<Transaction>,
    private readonly elector: LeaderElector,
    options: AllocatedMembershipOptions = {},
    private readonly signals: MembershipSignals = {},
  ) {
    this.logger = options.logger ?? defaultLogger();
    const tickMs = options.tickMs ?? 250;
    this.allocator = new Allocator(
      store,
      { tickMs, sweepEveryTicks: Math.max(1, Math.round(10_000 / tickMs)) },
      this.logger,
      (consumer, result) => this.signals.onRebalanced?.(consumer, result),
    );
    this.stopWatchingSession =
      store.onSessionLost?.(() => {
        for (const session of this.sessions) session.sessionLost();
      }) ?? (() => undefined);
  }

  async join(request: JoinRequest): Promise<MemberSession<Transaction>> {
    await this.start();
    const session = new AllocatedMemberSession<Transaction>(
      this.store,
      this.positions,
      request,
      this.logger,
      {
        closed: () => this.sessions.delete(session),
        left: (consumer) => this.allocator.request(consumer),
      },
    );
    this.sessions.add(session);
    try {
      await session.open();
    } catch (error) {
      session.close();
      throw error;
    }
    return session;
  }

  describe(consumer: string): Promise<MembershipView> {
    return (
      this.store.describe?.(consumer) ??
      Promise.resolve({ generation: 0, leader: undefined, members: [], owners: [] })
    );
  }

  /** Who leads now, as this process knows it. */
  leadership(): Leadership | undefined {
    return this.elector.current();
  }

  /** Stops members' heartbeats, finishes the allocator's work, resigns. */
  async close(): Promise<void> {
    this.stopWatchingSession();
    for (const session of [...this.sessions]) session.close();
    if (!this.started) return;
    await this.started.catch(() => undefined);
    await this.allocator.settle();
    await this.elector.stop();
    await this.allocator.stop();
    await this.stopListening?.();
  }

  private start(): Promise<void> {
    this.started ??= (async () => {
      this.stopListening = await this.store.onChange((consumer) => this.changed(consumer));
      this.allocator.start();
      await this.elector.start((leadership) => {
        this.allocator.lead(leadership);
        this.signals.onLeadership?.(leadership);
      });
    })();
    return this.started;
  }

  private changed(consumer: string): void {
    this.allocator.request(consumer);
    if (consumer === EVERY_CONSUMER) this.elector.wake();
    for (const session of this.sessions) {
      if (consumer === EVERY_CONSUMER || session.consumer === consumer) void session.refresh();
    }
  }
}
