/**
 * This process's own session with the server, opened on first use and again
 * after it is lost. It holds the allocator's session lock while this process
 * leads, and its backend identifies the process: when the process dies the
 * server ends the backend, and the leader sees its members die at once.
 */
import type { Database, HeldSession, SessionIdentity } from './database.js';

export class ProcessSession {
  private held: Promise<HeldSession> | undefined;
  private readonly lostListeners = new Set<() => void>();

  constructor(private readonly db: Database) {}

  /** The session, opening a new one if the last was lost. */
  get(): Promise<HeldSession> {
    if (this.held === undefined) {
      const opening = this.db.holdSession();
      this.held = opening;
      opening.then(
        (session) =>
          void session.lost.then(() => {
            if (this.held === opening) this.held = undefined;
            for (const listener of this.lostListeners) listener();
          }),
        () => {
          if (this.held === opening) this.held = undefined;
        },
      );
    }
    return this.held;
  }

  async identity(): Promise<SessionIdentity | undefined> {
    return (await this.get()).identity;
  }

  /** Called whenever a session is lost (session locks and the identity went with it). */
  onLost(listener: () => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  async close(): Promise<void> {
    const held = this.held;
    this.held = undefined;
    this.lostListeners.clear();
    if (held) await (await held.catch(() => undefined))?.close();
  }
}
