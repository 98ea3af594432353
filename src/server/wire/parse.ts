import type { z } from 'zod';
import { ValidationError } from '../../core/errors.js';
import { clip, quote } from '../../core/quote.js';

export type RequestPart = 'body' | 'query' | 'params';

function fieldOf(issue: z.core.$ZodIssue): string {
  const path = issue.path.map((key) => clip(String(key), 32));
  // An unknown key is reported on its parent; name the key itself.
  if (issue.code === 'unrecognized_keys')
    path.push(issue.keys.map((key) => clip(key, 32)).join(','));
  return clip(path.join('.'));
}

/** zod's message, without the input it may quote (an unknown key can be any size). */
function messageOf(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    return `unknown field ${issue.keys.map(quote).join(', ')}`;
  }
  return clip(issue.message, 100);
}

/**
 * Parses one part of a request, turning a schema failure into the same typed
 * error the core throws, naming the first offending field in the message.
 */
export function parseRequest<Schema extends z.ZodType>(
  schema: Schema,
  value: unknown,
  part: RequestPart,
): z.output<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  // A batch of bad events has an issue per event: the first few say enough.
  const issues = result.error.issues.slice(0, 20).map((issue) => ({
    field: fieldOf(issue),
    message: messageOf(issue),
  }));
  const first = issues[0];
  const where = first === undefined || first.field === '' ? part : `${part} ${first.field}`;
  throw new ValidationError(`invalid ${where}: ${first?.message ?? 'malformed'}`, {
    reason: `invalid_${part}`,
    details: { field: first?.field ?? '', issues },
  });
}
