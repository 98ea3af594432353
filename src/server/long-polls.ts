/**
 * A cap on long polls waiting at once on one server: each holds a connection
 * and a little memory while it waits, so past the cap one more is answered
 * 503 with `Retry-After` instead of piling up.
 */
import { OverloadedError } from '../core/errors.js';

const RETRY_AFTER_MS = 1000;

export class LongPollCap {
  private waiting = 0;

  constructor(private readonly max: number) {}

  async run<T>(wait: () => Promise<T>): Promise<T> {
    if (this.waiting >= this.max) {
      throw new OverloadedError(
        `${this.max} long polls are waiting on this server already; try again shortly, or read without wait`,
        RETRY_AFTER_MS,
        { reason: 'too_many_long_polls', details: { max: this.max } },
      );
    }
    this.waiting++;
    try {
      return await wait();
    } finally {
      this.waiting--;
    }
  }
}
