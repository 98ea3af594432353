import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import type { Millrace } from '../../millrace.js';
import { ConsumerParams } from '../wire/requests.js';
import { parseRequest } from '../wire/parse.js';
import { ResetBody, resetTarget } from '../wire/reset.js';
import { consumerJson, type ConsumerJson, type ConsumersResponse } from '../wire/responses.js';

export function consumerRoutes(app: FastifyInstance, millrace: Millrace): void {
  const read = { config: { access: 'read' as const } };
  const admin = { config: { access: 'admin' as const } };
  app.get('/v1/consumers', read, async (): Promise<z.input<typeof ConsumersResponse>> => ({
    consumers: (await millrace.consumerStatuses()).map(consumerJson),
  }));

  app.post('/v1/consumers/:name/reset', admin, async (request) => {
    const { name } = parseRequest(ConsumerParams, request.params, 'params');
    const body = parseRequest(ResetBody, request.body ?? {}, 'body');
    await millrace.resetConsumer(name, resetTarget(body));
    return { consumer: name, reset: true as const };
  });

  app.get('/v1/consumers/:name', read, async (request): Promise<z.input<typeof ConsumerJson>> => {
    const { name } = parseRequest(ConsumerParams, request.params, 'params');
    return consumerJson(await millrace.consumerStatus(name));
  });
}
