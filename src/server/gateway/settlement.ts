/**
 * What a hosted member's handler returns for a parked delivery: a thenable
 * the library member waits on, settled when the worker commits (or the
 * deadline passes, or the delivery is handed back). The library takes any
 * thenable and calls its `then` once, without chaining: a Promise would cost
 * its resolving functions and executor for each of the thousands of
 * deliveries a member holds; this is one small object. It is not a promise:
 * `then` returns nothing. Like a promise's, its callbacks run on a later
 * microtask, never inside resolve() (a handed-back delivery settles inside
 * the library's own stop); the settlements of one turn share one microtask.
 */
type Outcome<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

export class Settlement<T> {
  private onFulfilled: ((value: T) => void) | undefined;
  private onRejected: ((error: unknown) => void) | undefined;
  /** Settled before anyone waited (kept for the waiter), or delivered. */
  private outcome: Outcome<T> | undefined;

  then(onFulfilled: (value: T) => void, onRejected: (error: unknown) => void): void {
    this.onFulfilled = onFulfilled;
    this.onRejected = onRejected;
    if (this.outcome !== undefined) later(this);
  }

  resolve(value: T): void {
    this.settle({ ok: true, value });
  }

  reject(error: unknown): void {
    this.settle({ ok: false, error });
  }

  private settle(outcome: Outcome<T>): void {
    if (this.outcome !== undefined) return;
    this.outcome = outcome;
    if (this.onFulfilled !== undefined) later(this);
  }

  /** Runs the waiter's callback, once. */
  deliver(): void {
    const { onFulfilled, onRejected, outcome } = this;
    this.onFulfilled = undefined;
    this.onRejected = undefined;
    if (outcome === undefined) return;
    if (outcome.ok) onFulfilled?.(outcome.value);
    else onRejected?.(outcome.error);
  }
}

/** Settlements whose waiters are due, in the order they settled. */
let due: { deliver(): void }[] = [];

function later(settlement: { deliver(): void }): void {
  if (due.length === 0) queueMicrotask(deliverDue);
  due.push(settlement);
}

function deliverDue(): void {
  const now = due;
  due = [];
  for (const settlement of now) settlement.deliver();
}
