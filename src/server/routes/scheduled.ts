import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import type { Millrace } from '../../millrace.js';
import { fitToBudget, type ReadBudget } from '../read-budget.js';
import { ScheduledParams, ScheduledQuery } from '../wire/requests.js';
import { parseRequest } from '../wire/parse.js';
import {
  pendingScheduledJson,
  type CancelResponse,
  type ScheduledResponse,
} from '../wire/responses.js';

/** Delayed events waiting for their time: list and count them, cancel one. */
export function scheduledRoutes(
  app: FastifyInstance,
  millrace: Millrace,
  budget: ReadBudget,
): void {
  app.get('/v1/scheduled', async (request): Promise<z.input<typeof ScheduledResponse>> => {
    const query = parseRequest(ScheduledQuery, request.query, 'query');
    const [count, events] = await Promise.all([
      millrace.scheduledCount(),
      millrace.scheduled(query),
    ]);
    return { count, events: fitToBudget(events.map(pendingScheduledJson), budget) };
  });

  app.delete('/v1/scheduled/:id', async (request): Promise<z.input<typeof CancelResponse>> => {
    const { id } = parseRequest(ScheduledParams, request.params, 'params');
    return { cancelled: await millrace.cancelScheduled(id) };
  });
}
