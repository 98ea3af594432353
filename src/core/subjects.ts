/**
 * Subjects are dot-separated tokens (`order.cancelled`). Patterns add two
 * wildcards, as in NATS: `*` matches exactly one token, `>` (last token only)
 * matches one or more tokens. `order.*` matches `order.created` but not
 * `order.item.added`; `order.>` matches both, and neither matches `order`.
 */
import { ValidationError } from './errors.js';
import { clipped, quote } from './quote.js';

const TOKEN = /^[A-Za-z0-9_-]+$/;
const MAX_SUBJECT_LENGTH = 255;

function tokens(value: unknown, what: 'subject' | 'subject pattern'): string[] {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_SUBJECT_LENGTH) {
    throw new ValidationError(
      `invalid ${what} ${quote(value)}: expected 1 to ${MAX_SUBJECT_LENGTH} characters`,
      { reason: what === 'subject' ? 'invalid_subject' : 'invalid_subject_pattern' },
    );
  }
  return value.split('.');
}

export function validateSubject(value: unknown): string {
  for (const token of tokens(value, 'subject')) {
    if (!TOKEN.test(token)) {
      throw new ValidationError(
        `invalid subject ${quote(value)}: use dot-separated tokens of letters, digits, "_" or "-" (wildcards only belong in patterns)`,
        { reason: 'invalid_subject', details: { subject: clipped(value) } },
      );
    }
  }
  return value as string;
}

export function validateSubjectPattern(value: unknown): string {
  const parts = tokens(value, 'subject pattern');
  parts.forEach((token, index) => {
    const wildcardOk = token === '*' || (token === '>' && index === parts.length - 1);
    if (!wildcardOk && !TOKEN.test(token)) {
      throw new ValidationError(
        `invalid subject pattern ${quote(value)}: tokens are letters, digits, "_" or "-", "*" for one token, or a final ">" for one or more`,
        { reason: 'invalid_subject_pattern', details: { pattern: clipped(value) } },
      );
    }
  });
  return value as string;
}

/**
 * The pattern as an anchored POSIX regular expression, valid both in
 * JavaScript and in PostgreSQL's `~` operator, so filters run in the database.
 */
export function subjectPatternToRegex(pattern: string): string {
  const parts = validateSubjectPattern(pattern).split('.');
  const body = parts
    .map((token, index) => {
      const separator = index === 0 ? '' : '\\.';
      if (token === '*') return `${separator}[^.]+`;
      if (token === '>') return `${separator}[^.]+(\\.[^.]+)*`;
      return separator + token; // tokens hold no regex metacharacters
    })
    .join('');
  return `^${body}$`;
}

/** A matcher for a list of patterns; an empty list matches every subject. */
export function subjectMatcher(patterns: readonly string[]): (subject: string) => boolean {
  if (patterns.length === 0) return () => true;
  const regexes = patterns.map((pattern) => new RegExp(subjectPatternToRegex(pattern)));
  return (subject) => regexes.some((regex) => regex.test(subject));
}
