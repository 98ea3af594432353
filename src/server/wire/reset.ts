/** A consumer reset on the wire: where to (a time as ISO 8601 text). */
import { z } from 'zod';
import type { StartFromInput } from '../../core/consumer/options.js';

export const ResetBody = z.strictObject({
  to: z.union([
    z.enum(['beginning', 'end']),
    z.strictObject({ position: z.string().regex(/^[0-9]{1,20}$/, 'expected a position') }),
    z.strictObject({
      time: z.iso
        .datetime({ offset: true, message: 'expected an ISO 8601 time with a zone' })
        .transform((text) => new Date(text)),
    }),
  ]),
});

export const ResetResponse = z.object({ consumer: z.string(), reset: z.literal(true) });

export function resetTarget(body: z.output<typeof ResetBody>): StartFromInput {
  return body.to;
}
