/**
 * What the tests running examples/python/worker.py share: the worker's path,
 * a check that python3 is there, the handlings it prints (one JSON line per
 * event), and publishing rounds of events over a set of streams.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Millrace } from '../../src/index.js';
import { waitFor } from './wait.js';

export const PYTHON_WORKER = fileURLToPath(
  new URL('../../examples/python/worker.py', import.meta.url),
);

export interface Handling {
  readonly id: string;
  readonly stream: string;
  readonly version: number;
  readonly at: number;
}

export function assertPython(): void {
  try {
    execFileSync('python3', ['--version']);
  } catch (error) {
    throw new Error(
      `python3 is needed to run the Python worker (apt-get install -y python3): ${(error as Error).message}`,
    );
  }
}

/** The JSON lines of a process's output; whole lines only: a process killed mid-line leaves a fragment. */
export function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .slice(0, -1)
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Publishes `count` events numbered from `from`, over `streams` streams of `category`. */
export async function publishRound(
  millrace: Millrace,
  category: string,
  streams: number,
  from: number,
  count: number,
): Promise<string[]> {
  const events = await millrace.publishBatch(
    Array.from({ length: count }, (_, i) => ({
      stream: `${category}-${(from + i) % streams}`,
      subject: `${category}.created`,
      data: { n: from + i },
    })),
  );
  return events.map((event) => event.id);
}

/** Waits until every event in `ids` was handled at least once. */
export async function allHandled(
  handled: () => readonly Handling[],
  ids: readonly string[],
  what: string,
  timeoutMs: number,
): Promise<void> {
  await waitFor(
    () => {
      const seen = new Set(handled().map((h) => h.id));
      return ids.every((id) => seen.has(id));
    },
    what,
    timeoutMs,
  );
}

/** Fails unless the first handling of each event comes in version order within its stream. */
export function firstHandlingsInOrder(handlings: readonly Handling[]): Map<string, Handling> {
  const firsts = new Map<string, Handling>();
  for (const h of [...handlings].sort((a, b) => a.at - b.at))
    if (!firsts.has(h.id)) firsts.set(h.id, h);
  const lastVersion = new Map<string, number>();
  for (const h of firsts.values()) {
    const last = lastVersion.get(h.stream) ?? -1;
    if (h.version <= last) {
      throw new Error(`${h.stream}: version ${h.version} first handled after version ${last}`);
    }
    lastVersion.set(h.stream, h.version);
  }
  return firsts;
}
