/**
 * An event as a Redis stream entry: its id is `<position>-0` (the
 * partition's own counter, so a position is a plain decimal, as everywhere in
 * millrace), and its fields carry the event.
 */
import type { Event } from '../../core/event.js';
import type { JsonObject, JsonValue } from '../../core/json.js';
import type { Position } from '../../core/position.js';
import type { Reply } from './redis-connection.js';

/** The entry id of a position, and the position of an entry id. */
export function entryId(position: Position): string {
  return `${position}-0`;
}

export function positionOfEntry(id: string): Position {
  const dash = id.indexOf('-');
  return dash === -1 ? id : id.slice(0, dash);
}

/** A reply of XRANGE (or one stream of XREAD): [id, [field, value, ...]] per entry. */
export type Entries = [string, string[]][];

export function asEntries(reply: Reply): Entries {
  return (reply ?? []) as unknown as Entries;
}

export function eventOfEntry(category: string, [id, fields]: [string, string[]]): Event {
  const values: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2)
    values[fields[i] as string] = fields[i + 1] as string;
  return {
    id: values.id ?? id,
    stream: values.stream ?? category,
    category,
    subject: values.subject ?? '',
    data: JSON.parse(values.data ?? 'null') as JsonValue,
    metadata: values.metadata === undefined ? {} : (JSON.parse(values.metadata) as JsonObject),
    position: positionOfEntry(id),
    version: Number(values.version ?? -1),
    time: new Date(Number(values.time ?? 0)),
  };
}
