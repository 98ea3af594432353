import type { FastifyInstance } from 'fastify';
import type { Millrace } from '../../millrace.js';
import { listDeadLetters, type ReadBudget } from '../read-budget.js';
import {
  DeadLetterFilterBody,
  DeadLetterParams,
  DeadLetterQuery,
  deliveryJson,
  toFilter,
} from '../wire/dead-letters.js';
import { parseRequest } from '../wire/parse.js';

export function deadLetterRoutes(
  app: FastifyInstance,
  millrace: Millrace,
  budget: ReadBudget,
): void {
  const read = { config: { access: 'read' as const } };
  const admin = { config: { access: 'admin' as const } };
  // A DeadLetterList, cut to the byte budget and written as text.
  app.get('/v1/dead-letters', read, async (request, reply) => {
    const { limit, after, ...filter } = parseRequest(DeadLetterQuery, request.query, 'query');
    const body = await listDeadLetters(millrace, { ...toFilter(filter), limit, after }, budget);
    return reply.type('application/json; charset=utf-8').send(body);
  });

  app.get('/v1/dead-letters/:consumer/:eventId', read, async (request) => {
    const { consumer, eventId } = parseRequest(DeadLetterParams, request.params, 'params');
    return deliveryJson(await millrace.deadLetters.get(consumer, eventId));
  });

  app.post('/v1/dead-letters/retry', admin, async (request) => {
    const filter = parseRequest(DeadLetterFilterBody, request.body ?? {}, 'body');
    return { retried: await millrace.deadLetters.retry(toFilter(filter)) };
  });

  app.post('/v1/dead-letters/discard', admin, async (request) => {
    const filter = parseRequest(DeadLetterFilterBody, request.body ?? {}, 'body');
    return { discarded: await millrace.deadLetters.discard(toFilter(filter)) };
  });
}
