/**
 * Leadership by a session advisory lock on this process's own session: the
 * server releases it the moment that session ends, so when a leader process
 * dies the next candidate takes over on its next try. The lease row rides
 * along as the leader's heartbeat and term: a leader whose lease expired
 * while its session lives on (a frozen process still holding the lock) has
 * its session ended by a candidate, which then takes the lock. Writes under
 * an older term are refused (see lease_check).
 */
import type { Leadership } from '../../core/contracts/elector.js';
import type { SqlExecutor } from './database.js';
import { translated } from './errors.js';
import { LeaseRowElector, type ElectorOptions } from './lease-elector.js';
import type { ProcessSession } from './process-session.js';
import type { QueryBook } from './sql.js';

export class SessionLockElector extends LeaseRowElector {
  constructor(
    db: SqlExecutor,
    book: QueryBook,
    options: ElectorOptions,
    private readonly session: ProcessSession,
  ) {
    super(db, book, options);
    // The lock went with a lost session: we no longer lead.
    session.onLost(() => {
      if (this.current()) this.become(undefined);
      this.wake();
    });
  }

  protected async campaign(): Promise<number | undefined> {
    const session = await this.session.get();
    const [lock] = await translated(() =>
      session.query<{ acquired: boolean }>(this.book.get('leader_lock_try')),
    );
    if (!lock?.acquired) {
      await translated(() =>
        this.db.query(this.book.get('leader_terminate_frozen'), [this.options.lease]),
      );
      return undefined;
    }
    return this.acquireLease({ session: session.identity });
  }

  protected override async resign(leadership: Leadership): Promise<void> {
    const session = await this.session.get();
    await translated(() => session.query(this.book.get('leader_lock_release')));
    await super.resign(leadership);
  }
}
