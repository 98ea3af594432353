import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import type { Millrace } from '../../millrace.js';
import { ConsumerParams } from '../wire/requests.js';
import { parseRequest } from '../wire/parse.js';
import { ResetBody, ResetResponse, resetTarget } from '../wire/reset.js';
import { documented } from '../openapi/route-doc.js';
import { ConsumerJson, ConsumersResponse, consumerJson } from '../wire/responses.js';
import { RegisterConsumerBody } from '../wire/members.js';

const LIST = documented('read', {
  tag: 'consumers',
  summary: 'Every consumer with its partitions, positions, owners and lag',
  responses: { 200: { description: 'the consumers', schema: ConsumersResponse } },
});

const ONE = documented('read', {
  tag: 'consumers',
  summary: 'One consumer with its partitions, positions, owners and lag',
  params: ConsumerParams,
  responses: { 200: { description: 'the consumer', schema: ConsumerJson } },
  errors: [404],
});

const REGISTER = documented('consume', {
  tag: 'consumers',
  summary:
    'Registers a consumer, or updates its subjects, partitions and attempt limit, before any member starts',
  description:
    "A member's start does the same with the same fields; ordering, deadlines, retries and the in-flight cap are each member's own terms, given when it starts. A new partition count hands every partition out again.",
  params: ConsumerParams,
  body: RegisterConsumerBody,
  responses: {
    200: { description: 'updated', schema: ConsumerJson },
    201: { description: 'registered', schema: ConsumerJson },
  },
  errors: [409],
});

const RESET = documented('admin', {
  tag: 'consumers',
  summary:
    "Moves a consumer's positions: replay from the beginning, a position or a time, or skip to the end",
  description:
    'Goes through the allocator: running members stop, and start again from the new positions.',
  params: ConsumerParams,
  body: ResetBody,
  responses: { 200: { description: 'reset', schema: ResetResponse } },
  errors: [404],
});

export function consumerRoutes(app: FastifyInstance, millrace: Millrace): void {
  app.get('/v1/consumers', LIST, async (): Promise<z.input<typeof ConsumersResponse>> => ({
    consumers: (await millrace.consumerStatuses()).map(consumerJson),
  }));

  app.put(
    '/v1/consumers/:name',
    REGISTER,
    async (request, reply): Promise<z.input<typeof ConsumerJson>> => {
      const { name } = parseRequest(ConsumerParams, request.params, 'params');
      const body = parseRequest(RegisterConsumerBody, request.body ?? {}, 'body');
      const { status, created } = await millrace.registerConsumer({ name, ...body });
      void reply.code(created ? 201 : 200);
      return consumerJson(status);
    },
  );

  app.post('/v1/consumers/:name/reset', RESET, async (request) => {
    const { name } = parseRequest(ConsumerParams, request.params, 'params');
    const body = parseRequest(ResetBody, request.body ?? {}, 'body');
    await millrace.resetConsumer(name, resetTarget(body));
    return { consumer: name, reset: true as const };
  });

  app.get('/v1/consumers/:name', ONE, async (request): Promise<z.input<typeof ConsumerJson>> => {
    const { name } = parseRequest(ConsumerParams, request.params, 'params');
    return consumerJson(await millrace.consumerStatus(name));
  });
}
