/**
 * The logging surface millrace uses: pino's signature (object first, then
 * message), so a pino logger passes straight in. The default is pino at
 * `MILLRACE_LOG_LEVEL` (default `warn`), so failing handlers are never silent.
 */
import { pino } from 'pino';

export interface Logger {
  debug(object: Record<string, unknown>, message: string): void;
  info(object: Record<string, unknown>, message: string): void;
  warn(object: Record<string, unknown>, message: string): void;
  error(object: Record<string, unknown>, message: string): void;
}

let fallback: Logger | undefined;

export function defaultLogger(): Logger {
  fallback ??= pino({ name: 'millrace', level: process.env.MILLRACE_LOG_LEVEL ?? 'warn' });
  return fallback;
}

export function errorFields(error: unknown): Record<string, unknown> {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { err: { message: error.message, name: error.name, code, stack: error.stack } };
  }
  return { err: { message: String(error) } };
}
