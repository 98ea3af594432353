/**
 * What commands print. Human output is one line per thing, aligned enough to
 * scan; `--json` prints the HTTP API's own shapes, so scripts see one format.
 */
import type { PendingScheduledEvent } from '../core/contracts/scheduled.js';
import type { Event, PublishResult } from '../core/event.js';
import { describeSequence } from '../core/sequence.js';
import type { ConsumerStatus } from '../millrace.js';

export function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

export function printJson(value: unknown): void {
  print(JSON.stringify(value));
}

/** Hints and summaries go to stderr, so stdout stays data a script can parse. */
export function note(line: string): void {
  process.stderr.write(`${line}\n`);
}

export function formatEvent(event: Event): string {
  const metadata =
    Object.keys(event.metadata).length === 0 ? '' : ` ${JSON.stringify(event.metadata)}`;
  return [
    event.position.padStart(12),
    event.time.toISOString(),
    `${event.stream}@${event.version}`,
    event.subject,
    JSON.stringify(event.data) + metadata,
  ].join('  ');
}

export function formatPublished(event: PublishResult): string {
  if (event.scheduled === true) {
    return `scheduled for ${event.deliverAt.toISOString()} on ${event.stream} (id ${event.id})`;
  }
  return `published ${event.stream}@${event.version} at position ${event.position} (id ${event.id})`;
}

export function formatScheduled(event: PendingScheduledEvent): string {
  const metadata =
    Object.keys(event.metadata).length === 0 ? '' : ` ${JSON.stringify(event.metadata)}`;
  return [
    event.deliverAt.toISOString(),
    event.id,
    event.stream,
    event.subject,
    JSON.stringify(event.data) + metadata,
  ].join('  ');
}

export function formatConsumer(status: ConsumerStatus): string[] {
  const subjects = status.subjects.length === 0 ? 'every subject' : status.subjects.join(',');
  const head =
    `${status.name}  ${describeSequence(status.sequence)}  subjects ${subjects}  ` +
    `partitions ${status.partitions}  generation ${status.generation}  lag ${status.lag}`;
  const leader = status.leader
    ? `  leader ${status.leader.holder} (pid ${status.leader.pid} on ${status.leader.host}, term ${status.leader.term}, since ${status.leader.since.toISOString()})`
    : '  leader none';
  const members =
    status.members.length === 0
      ? ['  members none']
      : status.members.map(
          (m) =>
            `  member ${m.id}  pid ${m.pid} on ${m.host}  heartbeat ${m.heartbeatAt.toISOString()}  ` +
            `owns ${m.owned.length === 0 ? '-' : m.owned.join(',')}` +
            (m.revoking.length > 0 ? `  handing over ${m.revoking.join(',')}` : ''),
        );
  const rows = status.positions.map(
    (p) =>
      `  partition ${String(p.partition).padStart(3)}  position ${p.position.padStart(12)}  ` +
      `lag ${String(p.lag).padStart(6)}  owner ${p.owner ?? '-'}${p.revoking ? ' (handing over)' : ''}  ` +
      `committed ${p.updatedAt.toISOString()} in generation ${p.generation}`,
  );
  return [head, leader, ...members, ...rows];
}
