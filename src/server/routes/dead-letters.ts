import type { FastifyInstance } from 'fastify';
import type { Millrace } from '../../millrace.js';
import { listDeadLetters, type ReadBudget } from '../read-budget.js';
import {
  DeadLetterFilterBody,
  DeadLetterParams,
  DeadLetterList,
  DeadLetterQuery,
  DeliveryJson,
  DiscardedResponse,
  RetriedResponse,
  deliveryJson,
  toFilter,
} from '../wire/dead-letters.js';
import { parseRequest } from '../wire/parse.js';
import { documented } from '../openapi/route-doc.js';

const LIST = documented('read', {
  tag: 'dead letters',
  summary: 'Dead letters (or other delivery states with `state`), newest first, a page at a time',
  description:
    'At most the read byte budget per answer; `next` is the `after` of the following page.',
  query: DeadLetterQuery,
  responses: { 200: { description: 'a page of delivery records', schema: DeadLetterList } },
});

const ONE = documented('read', {
  tag: 'dead letters',
  summary: 'One delivery record: the event, its attempts, the last error and its stack',
  params: DeadLetterParams,
  responses: { 200: { description: 'the record', schema: DeliveryJson } },
  errors: [404],
});

const RETRY = documented('admin', {
  tag: 'dead letters',
  summary: "Hands matching dead letters back to their consumer's members",
  body: DeadLetterFilterBody,
  responses: { 200: { description: 'how many', schema: RetriedResponse } },
});

const DISCARD = documented('admin', {
  tag: 'dead letters',
  summary: 'Deletes matching dead letters for good',
  body: DeadLetterFilterBody,
  responses: { 200: { description: 'how many', schema: DiscardedResponse } },
});

export function deadLetterRoutes(
  app: FastifyInstance,
  millrace: Millrace,
  budget: ReadBudget,
): void {
  // A DeadLetterList, cut to the byte budget and written as text.
  app.get('/v1/dead-letters', LIST, async (request, reply) => {
    const { limit, after, ...filter } = parseRequest(DeadLetterQuery, request.query, 'query');
    const body = await listDeadLetters(millrace, { ...toFilter(filter), limit, after }, budget);
    return reply.type('application/json; charset=utf-8').send(body);
  });

  app.get('/v1/dead-letters/:consumer/:eventId', ONE, async (request) => {
    const { consumer, eventId } = parseRequest(DeadLetterParams, request.params, 'params');
    return deliveryJson(await millrace.deadLetters.get(consumer, eventId));
  });

  app.post('/v1/dead-letters/retry', RETRY, async (request) => {
    const filter = parseRequest(DeadLetterFilterBody, request.body ?? {}, 'body');
    return { retried: await millrace.deadLetters.retry(toFilter(filter)) };
  });

  app.post('/v1/dead-letters/discard', DISCARD, async (request) => {
    const filter = parseRequest(DeadLetterFilterBody, request.body ?? {}, 'body');
    return { discarded: await millrace.deadLetters.discard(toFilter(filter)) };
  });
}
