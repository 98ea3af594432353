/**
 * The ingress bridge: moves messages from a pub/sub system that keeps
 * nothing (Redis Pub/Sub, NATS core) into a durable stream. Any number of
 * processes run one bridge; all of them subscribe and keep the last seconds
 * of what they hear; one of them, elected by a lease, appends. When the
 * leader dies a standby takes over within the lease, fences the old leader
 * off in the log, and appends what the old leader had not, so a leader's
 * death loses nothing a standby heard, and duplicates nothing.
 */
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import type { LeaderElector, Leadership } from '../core/contracts/elector.js';
import { OverloadedError, UnsupportedError } from '../core/errors.js';
import { errorFields, type Logger } from '../core/logger.js';
import type { Millrace } from '../millrace.js';
import {
  resolveBridgeOptions,
  type BridgeOptions,
  type ResolvedBridgeOptions,
} from './bridge-options.js';
import { CHECKPOINT_CATEGORY, CheckpointLog, type BridgeCounts } from './checkpoint-log.js';
import { LeaderTerm, type Takeover } from './leader-term.js';
import { MessageBuffer, type HeardMessage } from './message-buffer.js';
import { StandbyFollower } from './standby-follower.js';
import type { SourceMessage } from './sources/source.js';

/** This process's part in a bridge, as `bridge.status()` tells it. */
export interface BridgeProcessStatus extends BridgeCounts {
  readonly name: string;
  readonly role: 'leader' | 'standby' | 'stopped';
  /** The term this process leads in, when it leads. */
  readonly term: number | undefined;
  readonly holder: string;
  readonly source: { readonly description: string; readonly connected: boolean };
  readonly log: { readonly reachable: boolean; readonly lastError: string | undefined };
  readonly takeovers: number;
  /** Takeovers that resumed by arrival time alone (none of the predecessor's tail was held). */
  readonly unaligned: number;
  readonly buffer: {
    readonly messages: number;
    readonly bytes: number;
    readonly unappended: number;
  };
  /** Reading from the source is paused (`whenFull: 'block'`). */
  readonly blocked: boolean;
}

export interface BridgeSignals {
  leading: [term: number];
  standby: [];
  takeover: [takeover: Takeover];
  appended: [count: number];
  /** The bridge stopped itself (`whenFull: 'crash'`). */
  failed: [error: Error];
}

/** How often the leader prunes old checkpoints (each bridge keeps its newest). */
const PRUNE_EVERY_MS = 60_000;

export class Bridge {
  readonly signals = new EventEmitter<BridgeSignals>();
  private readonly options: ResolvedBridgeOptions;
  private readonly buffer: MessageBuffer;
  private readonly checkpoints: CheckpointLog;
  private readonly follower: StandbyFollower;
  private elector: LeaderElector | undefined;
  private term: LeaderTerm | undefined;
  private leadership: Leadership | undefined;
  private state: 'new' | 'running' | 'stopped' = 'new';
  private sourceUp = false;
  private logError: string | undefined;
  private blocked = false;
  private lastPrune = Date.now();
  private counts = { received: 0, appended: 0, deduplicated: 0, dropped: 0 };
  private takeovers = 0;
  private unaligned = 0;

  constructor(
    private readonly millrace: Millrace,
    options: BridgeOptions,
    private readonly logger: Logger,
  ) {
    this.options = resolveBridgeOptions(options);
    this.buffer = new MessageBuffer(this.options);
    this.checkpoints = new CheckpointLog(millrace, this.options.name);
    this.follower = new StandbyFollower(
      this.checkpoints,
      this.buffer,
      Math.min(1000, Math.max(100, Math.floor(this.options.leaseMs / 2))),
      () => this.state === 'running' && this.term === undefined,
      () => this.relieve(),
    );
  }

  get name(): string {
    return this.options.name;
  }

  /** Subscribes and campaigns; resolves once subscribed (leading may come later). */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new UnsupportedError('a bridge starts once');
    const { provider } = this.millrace;
    if (!provider.capabilities.optimisticConcurrency || provider.leases === undefined) {
      throw new UnsupportedError(
        `the ${provider.kind} provider cannot host a bridge: it needs expected versions (the fence) and leases`,
        { reason: 'bridge_unsupported' },
      );
    }
    this.state = 'running';
    await this.options.source.start({
      message: (message) => this.hear(message),
      connection: (state, error) => this.sourceState(state, error),
    });
    this.sourceUp = true;
    this.follower.start();
    await this.campaign();
  }

  /** Campaigns for the lease; only a process whose subscription is up does. */
  private async campaign(): Promise<void> {
    const leases = this.millrace.provider.leases;
    if (this.elector !== undefined || leases === undefined || this.state !== 'running') return;
    const elector = leases.elector(`bridge:${this.options.name}`, {
      ttlMs: this.options.leaseMs,
      intervalMs: this.options.campaignIntervalMs,
    });
    this.elector = elector;
    await elector.start((leadership) => this.lead(leadership));
  }

  /**
   * Steps down and stops campaigning: a process that cannot hear the source
   * must not append for it, and a standby that still hears it appends what
   * this one missed.
   */
  private async withdraw(): Promise<void> {
    const elector = this.elector;
    this.elector = undefined;
    await elector?.stop();
  }

  /**
   * Stops: a leader appends what it holds first (for up to `graceMs`), then
   * resigns, so a standby takes over at once from its last checkpoint.
   */
  async stop(graceMs = 5000): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'stopped';
    const deadline = Date.now() + graceMs;
    // Only while the log takes appends: one that fails would hold the stop for nothing.
    while (
      this.term !== undefined &&
      this.logError === undefined &&
      this.buffer.unappended > 0 &&
      Date.now() < deadline
    ) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    this.follower.stop();
    await this.withdraw();
    await this.term?.stop();
    this.term = undefined;
    await this.options.source.close();
  }

  status(): BridgeProcessStatus {
    return {
      name: this.options.name,
      role: this.state !== 'running' ? 'stopped' : this.term !== undefined ? 'leader' : 'standby',
      term: this.term === undefined ? undefined : this.leadership?.term,
      holder: this.leadership?.holder ?? '',
      ...this.counts,
      source: { description: this.options.source.description, connected: this.sourceUp },
      log: { reachable: this.logError === undefined, lastError: this.logError },
      takeovers: this.takeovers,
      unaligned: this.unaligned,
      buffer: {
        messages: this.buffer.size,
        bytes: this.buffer.bytes,
        unappended: this.buffer.unappended,
      },
      blocked: this.blocked,
    };
  }

  private hear(message: SourceMessage): void {
    if (this.state !== 'running') return;
    this.counts.received += 1;
    const trimmed = this.buffer.push(message.channel, message.pattern, message.bytes, Date.now());
    if (trimmed.dropped > 0) {
      this.counts.dropped += trimmed.dropped;
      this.logger.warn(
        { bridge: this.options.name, dropped: trimmed.dropped },
        'bridge buffer full while the log cannot take messages: dropping the oldest',
      );
    }
    if (trimmed.full) this.whenFull();
    this.term?.wake();
  }

  private whenFull(): void {
    if (this.options.whenFull === 'block') {
      if (!this.blocked) {
        this.blocked = true;
        this.options.source.pause();
        this.logger.warn({ bridge: this.options.name }, 'bridge buffer full: reading paused');
      }
      return;
    }
    const error = new OverloadedError(
      `bridge ${this.options.name}: the buffer is full (${this.options.bufferBytes} bytes) and the log cannot take messages`,
      this.options.retryMs.max,
      { reason: 'bridge_buffer_full' },
    );
    this.logger.error({ bridge: this.options.name }, error.message);
    this.signals.emit('failed', error);
    void this.stop(0);
  }

  private sourceState(state: 'up' | 'down', error?: Error): void {
    this.sourceUp = state === 'up';
    const changed = state === 'up' ? this.campaign() : this.withdraw();
    changed.catch((failure: unknown) =>
      this.logger.warn(
        { bridge: this.options.name, ...errorFields(failure) },
        'bridge could not change its candidacy',
      ),
    );
    if (state === 'down') {
      this.logger.warn(
        {
          bridge: this.options.name,
          source: this.options.source.description,
          ...errorFields(error),
        },
        'bridge source connection lost: reconnecting',
      );
    } else {
      this.logger.info({ bridge: this.options.name }, 'bridge source connected again');
    }
  }

  private lead(leadership: Leadership | undefined): void {
    const previous = this.term;
    this.term = undefined;
    this.leadership = leadership;
    if (leadership === undefined || this.state !== 'running') {
      this.buffer.follow();
      void previous?.stop();
      if (previous !== undefined) this.signals.emit('standby');
      return;
    }
    const term = new LeaderTerm(
      {
        options: this.options,
        buffer: this.buffer,
        checkpoints: this.checkpoints,
        leader: { holder: leadership.holder, host: hostname(), pid: process.pid },
        events: {
          tookOver: (takeover) => this.tookOver(takeover),
          appended: (batch) => this.appended(batch),
          refused: (messages, error) => this.refused(messages, error),
          logFailed: (error) => this.logFailed(error),
          deposed: () => this.deposed(term),
          counts: () => ({ ...this.counts }),
        },
      },
      leadership,
      // A new term starts once the last one's batch in flight has settled.
      previous?.stop() ?? Promise.resolve(),
    );
    this.term = term;
    this.signals.emit('leading', leadership.term);
  }

  private tookOver(takeover: Takeover): void {
    this.logLanded();
    this.takeovers += 1;
    this.counts.deduplicated += takeover.deduplicated;
    if (!takeover.aligned) this.unaligned += 1;
    this.logger.info({ bridge: this.options.name, ...takeover }, 'bridge leader took over');
    this.signals.emit('takeover', takeover);
  }

  private appended(batch: readonly HeardMessage[]): void {
    this.logLanded();
    this.counts.appended += batch.length;
    this.buffer.trim(Date.now());
    this.relieve();
    this.signals.emit('appended', batch.length);
    if (Date.now() - this.lastPrune > PRUNE_EVERY_MS) this.prune();
  }

  private refused(messages: readonly HeardMessage[], error: Error): void {
    this.counts.dropped += messages.length;
    this.logger.error(
      {
        bridge: this.options.name,
        dropped: messages.length,
        channels: [...new Set(messages.map((m) => m.channel))],
        bytes: messages.map((m) => m.bytes.byteLength),
        ...errorFields(error),
      },
      'bridge dropped messages the log cannot store as events',
    );
  }

  /** Reads from the source again once the buffer is back within its bound. */
  private relieve(): void {
    if (this.blocked && this.buffer.bytes <= this.options.bufferBytes) {
      this.blocked = false;
      this.options.source.resume();
    }
  }

  private deposed(term: LeaderTerm): void {
    if (this.term !== term) return;
    this.logger.warn(
      { bridge: this.options.name },
      'bridge leader deposed: a newer leader has written',
    );
    this.term = undefined;
    this.buffer.follow();
    this.signals.emit('standby');
    this.elector?.wake();
  }

  private logFailed(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    if (this.logError === undefined) {
      this.logger.warn(
        { bridge: this.options.name, ...errorFields(error) },
        'bridge append failed: retrying',
      );
    }
    this.logError = message;
  }

  /** A write landed: the log takes appends again, whatever failed before (a takeover or a batch). */
  private logLanded(): void {
    if (this.logError === undefined) return;
    this.logError = undefined;
    this.logger.info({ bridge: this.options.name }, 'bridge appends again');
  }

  /** Old checkpoints go; each stream's newest stays (retention keeps it so versions continue). */
  private prune(): void {
    this.lastPrune = Date.now();
    if (this.millrace.provider.retention === undefined) return;
    this.millrace
      .prune({ category: CHECKPOINT_CATEGORY, olderThan: PRUNE_EVERY_MS })
      .catch((error: unknown) =>
        this.logger.debug(
          { bridge: this.options.name, ...errorFields(error) },
          'bridge checkpoint prune failed',
        ),
      );
  }
}
