/**
 * Turns driver errors into millrace's typed errors. The SQL raises custom
 * SQLSTATEs (MR409 and friends, see 0001_log.sql) so nothing here parses text
 * that PostgreSQL might word differently between versions.
 */
import {
  ConflictError,
  ConnectionError,
  FencedError,
  MillraceError,
  ValidationError,
} from '../../core/errors.js';

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  '57P01', // admin_shutdown (pg_terminate_backend)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);

interface DriverError {
  code?: string;
  message?: string;
  detail?: string;
  constraint?: string;
}

function detailJson(error: DriverError): Record<string, unknown> | undefined {
  if (!error.detail) return undefined;
  try {
    return JSON.parse(error.detail) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export function translateError(error: unknown): unknown {
  if (error instanceof MillraceError || typeof error !== 'object' || error === null) return error;
  const e = error as DriverError;
  const message = e.message ?? 'unknown database error';
  switch (e.code) {
    case 'MR409':
      return new ConflictError(message, false, {
        reason: 'version_conflict',
        details: detailJson(e),
        cause: error,
      });
    case 'MR40O':
      return new ConflictError(message, true, {
        reason: 'stream_order',
        details: detailJson(e),
        cause: error,
      });
    case 'MR403':
      return new FencedError(message, { cause: error });
    case 'MR413':
      return new ValidationError(message, { reason: 'transaction_too_large', cause: error });
    case '23505':
      if (e.constraint === 'events_id' || e.constraint === 'scheduled_events_pkey') {
        return new ConflictError('an event with this id already exists', false, {
          reason: 'duplicate_id',
          cause: error,
        });
      }
      if (e.constraint === 'events_stream_version') {
        return new ConflictError('a concurrent publish appended to the same stream', true, {
          reason: 'concurrent_append',
          cause: error,
        });
      }
      return error;
    case '40001':
    case '40P01':
      return new ConflictError(message, true, { reason: 'serialization', cause: error });
  }
  if (
    (e.code !== undefined && CONNECTION_CODES.has(e.code)) ||
    /Connection terminated|connection error|Client has encountered a connection error/i.test(
      message,
    )
  ) {
    return new ConnectionError(`PostgreSQL connection failed: ${message}`, { cause: error });
  }
  return error;
}

/** Runs `fn`, rethrowing driver errors as typed errors. */
export async function translated<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw translateError(error);
  }
}
