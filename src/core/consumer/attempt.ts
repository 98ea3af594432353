/**
 * One attempt at one event: the handler's call, raced against the ack
 * timeout. The handler's signal is made only if the handler asks for it
 * (most never do), so the happy path allocates nothing per event for it.
 */
import type { Event } from '../event.js';
import { AckTimeoutError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Handler, HandlerContext } from './handler.js';

export type AttemptResult = { ok: true; value: unknown } | { ok: false; error: unknown };

export interface AttemptScope {
  readonly consumer: string;
  readonly member: string;
  readonly partition: number;
  readonly generation: number;
  readonly logger: Logger;
  /** Aborted when every running handler must give up (stop past its timeout). */
  readonly stopSignal: AbortSignal;
  /** Aborted when the partition's worker is told to stop (`drain` or `abandon`). */
  readonly partitionSignal: AbortSignal;
}

class AttemptContext implements HandlerContext {
  private own: AbortController | undefined;
  private combined: AbortSignal | undefined;
  transaction: unknown = undefined;

  constructor(
    private readonly scope: AttemptScope,
    readonly attempt: number,
  ) {}

  get consumer(): string {
    return this.scope.consumer;
  }
  get member(): string {
    return this.scope.member;
  }
  get partition(): number {
    return this.scope.partition;
  }
  get generation(): number {
    return this.scope.generation;
  }
  get logger(): Logger {
    return this.scope.logger;
  }
  get partitionStop(): AbortSignal {
    return this.scope.partitionSignal;
  }

  get signal(): AbortSignal {
    this.own ??= new AbortController();
    this.combined ??= AbortSignal.any([this.scope.stopSignal, this.own.signal]);
    return this.combined;
  }

  abort(reason: unknown): void {
    this.own ??= new AbortController();
    this.own.abort(reason);
  }
}

export class Attempt {
  readonly startedAt = Date.now();
  private readonly context: AttemptContext;
  /** Where a result that comes later goes, until it came (or the attempt timed out). */
  private late: ((result: AttemptResult) => void) | undefined;
  /** Inside run(): a thenable that settles at once has its result returned, not sent to `late`. */
  private inRun = false;
  private atOnce: AttemptResult | undefined;

  constructor(scope: AttemptScope, attempt: number) {
    this.context = new AttemptContext(scope, attempt);
  }

  /**
   * Calls the handler. A handler that returns without a promise (or throws)
   * has its result returned at once, so a synchronous handler costs no
   * promise hops; otherwise the result goes to `late` once the handler's
   * promise settles, or the attempt times out, whichever comes first. No
   * promise of the attempt's own: hundreds of attempts settling at once (a
   * worker over HTTP committing a batch) each save one, and a hop.
   */
  run(
    handler: Handler<unknown>,
    event: Event,
    late: (result: AttemptResult) => void,
  ): AttemptResult | undefined {
    let value: unknown;
    try {
      value = handler(event, this.context);
    } catch (error) {
      return { ok: false, error };
    }
    if (!isThenable(value)) return { ok: true, value };
    this.late = late;
    this.inRun = true;
    try {
      value.then(
        (settled: unknown) => this.settle({ ok: true, value: settled }),
        (error: unknown) => this.settle({ ok: false, error }),
      );
    } catch (error) {
      this.settle({ ok: false, error });
    } finally {
      this.inRun = false;
    }
    const atOnce = this.atOnce;
    if (atOnce !== undefined) this.late = undefined;
    return atOnce;
  }

  /** Past the ack timeout: the attempt fails now and the handler's signal aborts. */
  timeOut(timeoutMs: number): void {
    const error = new AckTimeoutError(`handler ran past ackTimeoutMs (${timeoutMs} ms)`, {
      details: { timeoutMs },
    });
    this.context.abort(error);
    this.settle({ ok: false, error });
  }

  private settle(result: AttemptResult): void {
    if (this.inRun) {
      this.atOnce ??= result;
      return;
    }
    const late = this.late;
    this.late = undefined;
    late?.(result);
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
