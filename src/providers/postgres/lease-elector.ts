/**
 * Leadership by a lease row alone: the leader renews it, and when it stops
 * renewing (dead, frozen, cut off) it expires and the next candidate takes
 * it, with a new term. Works where session locks cannot: PGlite, and behind
 * a transaction pooler. Resigning expires the lease at once.
 */
import { EVERY_CONSUMER } from '../../core/contracts/membership-store.js';
import type { Leadership } from '../../core/contracts/elector.js';
import {
  CampaigningElector,
  type CampaignOptions,
} from '../../core/kit/election/campaigning-elector.js';
import type { SessionIdentity, SqlExecutor } from './database.js';
import { translated } from './errors.js';
import type { QueryBook } from './sql.js';

export interface ElectorOptions extends CampaignOptions {
  readonly host: string;
  readonly pid: number;
  readonly lease: string;
  /**
   * Tell the members' channel on resigning, so candidates elsewhere try at
   * once. The scheduler resigns whenever nothing waits, and nobody needs to know.
   * @defaultValue true
   */
  readonly announceResign?: boolean;
}

/** The lease row both PostgreSQL electors keep: created, renewed, released. */
export abstract class LeaseRowElector extends CampaigningElector {
  constructor(
    protected readonly db: SqlExecutor,
    protected readonly book: QueryBook,
    protected readonly options: ElectorOptions,
  ) {
    super(options);
  }

  protected override async prepare(): Promise<void> {
    await translated(() => this.db.query(this.book.get('lease_ensure'), [this.options.lease]));
  }

  protected hold(leadership: Leadership): Promise<boolean> {
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

  /**
   * Takes the lease row: the new term, or undefined. Without `lock` only if
   * it is free, expired or ours; with it (the caller holds the session lock
   * that makes it leader) whatever its state, recording the backend holding
   * the lock so a frozen leader can be told apart.
   */
  protected async acquireLease(
    lock: { readonly session: SessionIdentity | undefined } | undefined,
  ): Promise<number | undefined> {
    const session = lock?.session;
    const { lease, holder, host, pid, ttlMs } = this.options;
    const rows = await translated(() =>
      this.db.query<{ term: string }>(this.book.get('lease_acquire'), [
        lease,
        holder,
        host,
        pid,
        session?.pid ?? null,
        ttlMs,
        lock !== undefined,
        session?.started ?? null,
      ]),
    );
    return rows[0] === undefined ? undefined : Number(rows[0].term);
  }

  protected async resign(leadership: Leadership): Promise<void> {
    await translated(() =>
      this.db.query(this.book.get('lease_release'), [
        this.options.lease,
        leadership.holder,
        leadership.term,
      ]),
    );
    // Candidates elsewhere try at once instead of at their next interval.
    if (this.options.announceResign === false) return;
    await this.db.query(this.book.get('membership_notify'), [EVERY_CONSUMER]);
  }
}

export class LeaseElector extends LeaseRowElector {
  protected campaign(): Promise<number | undefined> {
    return this.acquireLease(undefined);
  }
}
