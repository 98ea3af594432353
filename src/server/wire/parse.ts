import type { z } from 'zod';
import { ValidationError } from '../../core/errors.js';

export type RequestPart = 'body' | 'query' | 'params';

function fieldOf(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String);
  // An unknown key is reported on its parent; name the key itself.
  if (issue.code === 'unrecognized_keys') path.push(issue.keys.join(','));
  return path.join('.');
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
  const issues = result.error.issues.map((issue) => ({
    field: fieldOf(issue),
    message: issue.message,
  }));
  const first = issues[0];
  const where = first === undefined || first.field === '' ? part : `${part} ${first.field}`;
  throw new ValidationError(`invalid ${where}: ${first?.message ?? 'malformed'}`, {
    reason: `invalid_${part}`,
    details: { field: first?.field ?? '', issues },
  });
}
