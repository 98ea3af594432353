/**
 * Leader election: exactly one process at a time runs the allocator. A
 * leader that dies is replaced without anyone's help; one that stops cleanly
 * resigns at once, so another takes over without waiting.
 */
export interface Leadership {
  /** Grows with every change of leader: writes made under an older term are refused. */
  readonly term: number;
  readonly holder: string;
}

export interface LeaderElector {
  /** Campaigns until stopped; `listener` hears every change (undefined: not the leader). */
  start(listener: (leadership: Leadership | undefined) => void): Promise<void>;
  current(): Leadership | undefined;
  /** Tries now rather than at the next interval (a leader just resigned). */
  wake(): void;
  /** Resigns at once if leading, and stops campaigning. */
  stop(): Promise<void>;
}

/** How long a named lease lasts and how often its candidates try. */
export interface LeaseTiming {
  /** A leader silent this long is replaced; it renews a third of the way through. */
  readonly ttlMs: number;
  /** How often candidates try. */
  readonly intervalMs: number;
}

/**
 * Leases by name, for leader-elected work that is not a consumer's (the
 * ingress bridge): each elector campaigns for `name` with a holder of its
 * own, so two in one process compete as two processes would.
 */
export interface NamedLeases {
  elector(name: string, timing: LeaseTiming): LeaderElector;
}
