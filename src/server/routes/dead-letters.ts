import type { FastifyInstance } from 'fastify';
import type { Millrace } from '../../millrace.js';
import {
  DeadLetterFilterBody,
  DeadLetterParams,
  DeadLetterQuery,
  deliveryJson,
  toFilter,
} from '../wire/dead-letters.js';
import { parseRequest } from '../wire/parse.js';

export function deadLetterRoutes(app: FastifyInstance, millrace: Millrace): void {
  app.get('/v1/dead-letters', async (request) => {
    const { limit, after, ...filter } = parseRequest(DeadLetterQuery, request.query, 'query');
    const page = await millrace.deadLetters.list({ ...toFilter(filter), limit, after });
    return { deadLetters: page.records.map(deliveryJson), next: page.next ?? null };
  });

  app.get('/v1/dead-letters/:consumer/:eventId', async (request) => {
    const { consumer, eventId } = parseRequest(DeadLetterParams, request.params, 'params');
    return deliveryJson(await millrace.deadLetters.get(consumer, eventId));
  });

  app.post('/v1/dead-letters/retry', async (request) => {
    const filter = parseRequest(DeadLetterFilterBody, request.body ?? {}, 'body');
    return { retried: await millrace.deadLetters.retry(toFilter(filter)) };
  });

  app.post('/v1/dead-letters/discard', async (request) => {
    const filter = parseRequest(DeadLetterFilterBody, request.body ?? {}, 'body');
    return { discarded: await millrace.deadLetters.discard(toFilter(filter)) };
  });
}
