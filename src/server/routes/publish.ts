import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import type { PublishInput } from '../../core/event.js';
import type { Millrace } from '../../millrace.js';
import { BatchBody, EventBody, isBatchBody } from '../wire/requests.js';
import { parseRequest } from '../wire/parse.js';
import { publishedJson, type PublishResponse } from '../wire/responses.js';

/** One event, or `{ events: [...] }` published atomically in one round trip. */
export function publishRoutes(app: FastifyInstance, millrace: Millrace): void {
  app.post(
    '/v1/events',
    { config: { access: 'publish' } },
    async (request, reply): Promise<z.input<typeof PublishResponse>> => {
      // The core refuses expectedVersion with deliverAt (deliver_at_with_expected_version).
      const published = isBatchBody(request.body)
        ? await millrace.publishBatch(
            parseRequest(BatchBody, request.body, 'body').events as PublishInput[],
          )
        : [await millrace.publish(parseRequest(EventBody, request.body, 'body') as PublishInput)];
      void reply.code(201);
      return { events: published.map(publishedJson) };
    },
  );
}
