/**
 * Leadership by a lease row alone: the leader renews it, and when it stops
 * renewing (dead, frozen, cut off) it expires and the next candidate takes
 * it, with a new term. Works where session locks cannot: PGlite, and behind
 * a transaction pooler. Resigning expires the lease at once.
 */
import { EVERY_CONSUMER } from '../../core/allocation/allocator.js';
import type { LeaderElector, Leadership } from '../../core/contracts/elector.js';
import type { SqlExecutor } from './database.js';
import { translated } from './errors.js';
import type { QueryBook } from './sql.js';

export interface ElectorOptions {
  /** Who campaigns: one id per process. */
  readonly holder: string;
  readonly host: string;
  readonly pid: number;
  /** A leader silent this long is replaced. */
  readonly ttlMs: number;
  /** How often candidates try and the leader renews. */
  readonly intervalMs: number;
  readonly lease: string;
}

export abstract class CampaigningElector implements LeaderElector {
  private leadership: Leadership | undefined;
  private listener: (leadership: Leadership | undefined) => void = () => undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private renewedAt = 0;

  constructor(
    protected readonly db: SqlExecutor,
    protected readonly book: QueryBook,
    protected readonly options: ElectorOptions,
  ) {}

  async start(listener: (leadership: Leadership | undefined) => void): Promise<void> {
    this.listener = listener;
    await translated(() => this.db.query(this.book.get('lease_ensure'), [this.options.lease]));
    await this.round();
    this.timer = setInterval(() => this.wake(), this.options.intervalMs);
    this.timer.unref();
  }

  current(): Leadership | undefined {
    return this.leadership;
  }

  /** Tries (or renews) now rather than at the next interval. */
  wake(): void {
    if (this.stopped) return;
    this.running ??= this.round().finally(() => {
      this.running = undefined;
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.running;
    const leadership = this.leadership;
    if (leadership) {
      this.become(undefined);
      await this.resign(leadership).catch(() => undefined);
      // Candidates elsewhere try at once instead of at their next interval.
      await this.db
        .query(this.book.get('membership_notify'), [EVERY_CONSUMER])
        .catch(() => undefined);
    }
  }

  /** Takes leadership if it can; the term, or undefined. */
  protected abstract campaign(): Promise<number | undefined>;
  /** True while still the leader (renewing what must be renewed). */
  protected abstract hold(leadership: Leadership): Promise<boolean>;
  protected abstract resign(leadership: Leadership): Promise<void>;

  protected become(leadership: Leadership | undefined): void {
    if (
      leadership?.term === this.leadership?.term &&
      (leadership === undefined) === (this.leadership === undefined)
    ) {
      return;
    }
    this.leadership = leadership;
    this.listener(leadership);
  }

  protected renewLease(leadership: Leadership): Promise<boolean> {
    return translated(async () => {
      const rows = await this.db.query(this.book.get('lease_renew'), [
        this.options.lease,
        leadership.holder,
        leadership.term,
        this.options.ttlMs,
      ]);
      return rows.length > 0;
    });
  }

  protected releaseLease(leadership: Leadership): Promise<void> {
    return translated(async () => {
      await this.db.query(this.book.get('lease_release'), [
        this.options.lease,
        leadership.holder,
        leadership.term,
      ]);
    });
  }

  private async round(): Promise<void> {
    if (this.stopped) return;
    try {
      const leadership = this.leadership;
      if (leadership) {
        // Renew a third of the way through the lease: often enough, not every round.
        if (Date.now() - this.renewedAt < this.options.ttlMs / 3) return;
        const startedAt = Date.now();
        if (await this.hold(leadership)) this.renewedAt = startedAt;
        else this.become(undefined);
        return;
      }
      const startedAt = Date.now();
      const term = await this.campaign();
      if (term !== undefined && !this.stopped) {
        this.renewedAt = startedAt;
        this.become({ term, holder: this.options.holder });
      }
    } catch {
      // A failed round (connection trouble) counts as not leading; the next round tries again.
      if (this.leadership) this.become(undefined);
    }
  }
}

export class LeaseElector extends CampaigningElector {
  protected async campaign(): Promise<number | undefined> {
    const { lease, holder, host, pid, ttlMs } = this.options;
    const rows = await translated(() =>
      this.db.query<{ term: string }>(this.book.get('lease_acquire'), [
        lease,
        holder,
        host,
        pid,
        null,
        ttlMs,
        false,
        null,
      ]),
    );
    return rows[0] === undefined ? undefined : Number(rows[0].term);
  }

  protected hold(leadership: Leadership): Promise<boolean> {
    return this.renewLease(leadership);
  }

  protected resign(leadership: Leadership): Promise<void> {
    return this.releaseLease(leadership);
  }
}
