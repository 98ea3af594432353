/**
 * `POST /v1/prune`: what it accepts and returns. The schema checks shape;
 * the core checks values (durations, counts, names) with the library's reasons.
 */
import { z } from 'zod';
import type { PruneResult, RetentionHold } from '../../core/contracts/retention.js';
import { describeSequence, parseSequence } from '../../core/sequence.js';

export const PruneBody = z.strictObject({
  category: z.string().optional(),
  olderThan: z.union([z.string(), z.number()]).optional(),
  keepLast: z.number().optional(),
  force: z.boolean().optional(),
});

const position = z.string().regex(/^[0-9]+$/);

const HoldJson = z.object({
  consumer: z.string(),
  sequence: z.string().transform(parseSequence),
  partition: z.number().int(),
  position,
});

export const PruneResponse = z.object({
  deleted: z.number().int(),
  prunedBefore: position,
  categories: z.array(
    z.object({
      category: z.string(),
      deleted: z.number().int(),
      prunedBefore: position,
      target: position,
      heldBy: z.array(HoldJson),
    }),
  ),
  heldBy: z.array(HoldJson),
});

function holdJson(hold: RetentionHold): z.input<typeof HoldJson> {
  return { ...hold, sequence: describeSequence(hold.sequence) };
}

export function pruneJson(result: PruneResult): z.input<typeof PruneResponse> {
  return {
    deleted: result.deleted,
    prunedBefore: result.prunedBefore,
    categories: result.categories.map((c) => ({ ...c, heldBy: c.heldBy.map(holdJson) })),
    heldBy: result.heldBy.map(holdJson),
  };
}
