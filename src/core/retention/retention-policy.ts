/**
 * Automatic retention: prunes on a timer while millrace is open.
 *
 * Every process that enables it prunes; none is elected to. A prune is
 * idempotent and deletes in short batches, so two processes pruning at once
 * only repeat each other's cheap work (the second finds nothing left), and a
 * dead process leaves nothing to hand over. A lease would add a moving part
 * for no correctness gain. The policy never forces: it never takes events a
 * consumer has not handled.
 */
import type { PruneRequest, PruneResult } from '../contracts/retention.js';
import { ValidationError } from '../errors.js';
import { errorFields, type Logger } from '../logger.js';
import { parseDuration } from './duration.js';
import { toPruneRequest, type PruneOptions } from './prune-options.js';

export interface RetentionOptions extends Omit<PruneOptions, 'force'> {
  /** How often to prune: a duration (`'1h'`) or milliseconds. @defaultValue '1h' */
  every?: string | number;
}

export const DEFAULT_RETENTION_EVERY_MS = 3_600_000;

export interface ResolvedRetention {
  readonly options: PruneOptions;
  readonly everyMs: number;
}

/** Checks the options once, at open, so a typo fails there rather than an hour later. */
export function resolveRetention(options: RetentionOptions): ResolvedRetention {
  if ('force' in options) {
    throw new ValidationError('retention never forces: prune by hand with force: true instead', {
      reason: 'invalid_option',
    });
  }
  const { every, ...prune } = options;
  toPruneRequest(prune);
  const everyMs = every === undefined ? DEFAULT_RETENTION_EVERY_MS : parseDuration(every, 'every');
  return { options: prune, everyMs };
}

export class RetentionPolicy {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly retention: ResolvedRetention,
    private readonly prune: (request: PruneRequest) => Promise<PruneResult>,
    private readonly logger: Logger,
  ) {}

  /** Prunes now, then every `everyMs`, each run measuring `olderThan` from its own start. */
  start(): void {
    this.runNow();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private runNow(): void {
    if (this.stopped) return;
    this.running = this.run().finally(() => {
      this.running = undefined;
      if (this.stopped) return;
      this.timer = setTimeout(() => this.runNow(), this.retention.everyMs);
      this.timer.unref();
    });
  }

  private async run(): Promise<void> {
    try {
      const result = await this.prune(toPruneRequest(this.retention.options));
      // A run that found nothing to do is the common case; say so only when debugging.
      const level = result.deleted > 0 ? 'info' : 'debug';
      this.logger[level](
        { deleted: result.deleted, prunedBefore: result.prunedBefore },
        'retention: pruned',
      );
      for (const hold of result.heldBy) {
        this.logger.info(
          { consumer: hold.consumer, partition: hold.partition, position: hold.position },
          'retention: held back by a consumer that has not handled older events',
        );
      }
    } catch (error) {
      if (this.stopped) return;
      this.logger.warn(errorFields(error), 'retention: prune failed; trying again next time');
    }
  }
}
