/**
 * Redis failures as millrace errors, and the one retry a write gets: a call
 * whose connection broke may or may not have run, so it is sent once more,
 * marked as a retry, and the script itself tells a second run from a first.
 */
import { ConnectionError } from '../../core/errors.js';

/** Connection-level failures: the command may not have reached the server, or its answer was lost. */
function isConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return (
    code === 'ECONNRESET' ||
    code === 'ECONNREFUSED' ||
    code === 'EPIPE' ||
    code === 'ETIMEDOUT' ||
    /Connection is closed|MaxRetriesPerRequest|CLUSTERDOWN|TRYAGAIN|LOADING|READONLY/.test(
      error.message,
    )
  );
}

/** Runs `call`, and once more (told it is a retry) if the connection failed under it. */
export async function retriedOnce<T>(call: (retry: boolean) => Promise<T>): Promise<T> {
  try {
    return await call(false);
  } catch (error) {
    if (!isConnectionError(error)) throw error;
    try {
      return await call(true);
    } catch (again) {
      throw translated(again);
    }
  }
}

/** A connection failure as a ConnectionError (retriable); anything else as it is. */
export function translated(error: unknown): unknown {
  if (!isConnectionError(error)) return error;
  return new ConnectionError(`redis is unavailable: ${(error as Error).message}`, {
    cause: error,
  });
}
