/**
 * This server's place among the servers that share a member directory: it
 * announces its address every `heartbeatMs`, and serves the members it hosts
 * only within `leaseMs` of its last announcement (counted from when it was
 * sent). Other servers take its members over once it has been silent
 * `deadAfterMs` by the provider's clock, more than the lease: by then it has
 * stopped serving them. A server that was frozen past its lease (SIGSTOP, a
 * long pause) announces itself again and asks which members are still its
 * own before it serves one.
 */
import { randomUUID } from 'node:crypto';
import type { MemberDirectory } from '../../core/contracts/member-directory.js';
import type { Logger } from '../../core/logger.js';

export interface PresenceTiming {
  readonly heartbeatMs: number;
  /** Less than `deadAfterMs`, by more than clocks drift and a heartbeat takes. */
  readonly leaseMs: number;
  readonly deadAfterMs: number;
}

export const DEFAULT_PRESENCE_TIMING: PresenceTiming = {
  heartbeatMs: 2_000,
  leaseMs: 8_000,
  deadAfterMs: 10_000,
};

/** Ended members and long-dead servers are forgotten after this long. */
const FORGET_AFTER_MS = 15 * 60_000;
const SWEEP_EVERY = 30;

export class ServerPresence {
  readonly id = `srv-${randomUUID()}`;
  private url: string | undefined;
  /** When the last announcement that was answered was sent (performance.now()). */
  private renewedAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private renewing: Promise<void> | undefined;
  private beats = 0;

  constructor(
    private readonly directory: MemberDirectory,
    readonly timing: PresenceTiming,
    /** After a lapse: the members this server still hosts, by the directory. */
    private readonly onLapse: (hosted: ReadonlySet<string>) => void,
    private readonly logger: Logger,
  ) {}

  /** Starts announcing `url`; resolves once the first announcement is in. */
  async begin(url: string): Promise<void> {
    this.url = url;
    await this.renew();
    this.timer = setInterval(() => {
      this.renew().catch((error: unknown) => {
        this.logger.warn({ err: error }, 'could not announce this server to its peers');
      });
    }, this.timing.heartbeatMs);
    this.timer.unref();
  }

  /**
   * Whether this server may serve the members it hosts without asking. One
   * not listening (requests injected in tests) has no peers: always.
   */
  get fresh(): boolean {
    return this.url === undefined || performance.now() - this.renewedAt < this.timing.leaseMs;
  }

  /** Announces this server now (one call at a time); after a lapse, learns what it still hosts. */
  renew(): Promise<void> {
    this.renewing ??= this.announce().finally(() => {
      this.renewing = undefined;
    });
    return this.renewing;
  }

  /** Stops announcing; the server's members are left for the next server a worker calls. */
  async end(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    if (this.url !== undefined) await this.directory.withdraw(this.id);
  }

  private async announce(): Promise<void> {
    if (this.url === undefined) return;
    const sentAt = performance.now();
    const lapsed = !this.fresh && this.renewedAt !== Number.NEGATIVE_INFINITY;
    // Serialized with any server taking a member over (see http_member_move.sql):
    // what hostedBy reads after this is final for the members moved until now.
    await this.directory.announce(this.id, this.url);
    if (lapsed) this.onLapse(new Set(await this.directory.hostedBy(this.id)));
    this.renewedAt = sentAt;
    if (++this.beats % SWEEP_EVERY === 0) await this.directory.sweep(FORGET_AFTER_MS);
  }
}
