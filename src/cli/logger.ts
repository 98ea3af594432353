/**
 * pino for the CLI: JSON lines with `--json`, otherwise one readable line
 * per entry (`12:00:01.042 INFO  handled consumer=... position=...`), so a
 * terminal needs no extra pretty-printer.
 */
import { pino, type Logger } from 'pino';

export interface CliLoggerOptions {
  readonly json: boolean;
  readonly level: string;
  readonly out: NodeJS.WritableStream;
}

const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
};

const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'name', 'reqId']);

function value(field: unknown): string {
  if (typeof field === 'string') return /[\s"=]/.test(field) ? JSON.stringify(field) : field;
  const err = field as { message?: unknown } | null;
  if (typeof err?.message === 'string') return JSON.stringify(err.message);
  return JSON.stringify(field);
}

export function formatLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const time = new Date(typeof entry.time === 'number' ? entry.time : Date.now());
  const clock = time.toISOString().slice(11, 23);
  const level = LEVELS[entry.level as number] ?? String(entry.level);
  const fields = Object.entries(entry)
    .filter(([key]) => !HIDDEN.has(key))
    .map(([key, field]) => `${key}=${value(field)}`);
  return `${[clock, level, typeof entry.msg === 'string' ? entry.msg : '', ...fields].join(' ')}\n`;
}

export function cliLogger(options: CliLoggerOptions): Logger {
  const { out } = options;
  const destination = options.json
    ? { write: (line: string) => void out.write(line) }
    : { write: (line: string) => void out.write(formatLine(line)) };
  return pino({ name: 'millrace', level: options.level, base: undefined }, destination);
}

export function logLevel(fallback: string): string {
  return process.env.MILLRACE_LOG_LEVEL ?? fallback;
}
