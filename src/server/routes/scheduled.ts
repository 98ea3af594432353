import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import type { Millrace } from '../../millrace.js';
import { listScheduled, type ReadBudget } from '../read-budget.js';
import { ScheduledParams, ScheduledQuery } from '../wire/requests.js';
import { parseRequest } from '../wire/parse.js';
import { CancelResponse, ScheduledResponse } from '../wire/responses.js';
import { documented } from '../openapi/route-doc.js';

const LIST = documented('read', {
  tag: 'delayed events',
  summary: 'Delayed events waiting for their time, in delivery order, and how many',
  query: ScheduledQuery,
  responses: { 200: { description: 'a page of delayed events', schema: ScheduledResponse } },
});

const CANCEL = documented('publish', {
  tag: 'delayed events',
  summary: 'Cancels a delayed event that has not been delivered yet',
  params: ScheduledParams,
  responses: { 200: { description: 'whether it was waiting', schema: CancelResponse } },
});

/** Delayed events waiting for their time: list and count them, cancel one. */
export function scheduledRoutes(
  app: FastifyInstance,
  millrace: Millrace,
  budget: ReadBudget,
): void {
  // A ScheduledResponse, cut to the byte budget and written as text.
  app.get('/v1/scheduled', LIST, async (request, reply) => {
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
    CANCEL,
    async (request): Promise<z.input<typeof CancelResponse>> => {
      const { id } = parseRequest(ScheduledParams, request.params, 'params');
      return { cancelled: await millrace.cancelScheduled(id) };
    },
  );
}
