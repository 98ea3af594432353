import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import type { Millrace } from '../../millrace.js';
import { listScheduled, type ReadBudget } from '../read-budget.js';
import { ScheduledParams, ScheduledQuery } from '../wire/requests.js';
import { parseRequest } from '../wire/parse.js';
import type { CancelResponse } from '../wire/responses.js';

/** Delayed events waiting for their time: list and count them, cancel one. */
export function scheduledRoutes(
  app: FastifyInstance,
  millrace: Millrace,
  budget: ReadBudget,
): void {
  // A ScheduledResponse, cut to the byte budget and written as text.
  app.get('/v1/scheduled', { config: { access: 'read' } }, async (request, reply) => {
    const query = parseRequest(ScheduledQuery, request.query, 'query');
    const [count, page] = await Promise.all([
      millrace.scheduledCount(),
      listScheduled(millrace, query, budget),
    ]);
    const body = `{"count":${count},"events":${page.events},"next":${JSON.stringify(page.next ?? null)}}`;
    return reply.type('application/json; charset=utf-8').send(body);
  });

  app.delete(
    '/v1/scheduled/:id',
    { config: { access: 'publish' } },
    async (request): Promise<z.input<typeof CancelResponse>> => {
      const { id } = parseRequest(ScheduledParams, request.params, 'params');
      return { cancelled: await millrace.cancelScheduled(id) };
    },
  );
}
