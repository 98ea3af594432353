/**
 * Runs a synchronous provider operation as an asynchronous call, so a failure
 * rejects (as it would over a connection) instead of throwing at the caller.
 * Running the whole operation synchronously is what makes it atomic.
 */
export function promised<T>(work: () => T): Promise<T> {
  return new Promise((resolve) => resolve(work()));
}
