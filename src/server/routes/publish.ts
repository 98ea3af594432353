import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { PublishInput } from '../../core/event.js';
import type { Millrace } from '../../millrace.js';
import { BatchBody, EventBody, isBatchBody } from '../wire/requests.js';
import { parseRequest } from '../wire/parse.js';
import { PublishResponse, publishedJson } from '../wire/responses.js';
import { documented } from '../openapi/route-doc.js';

const PUBLISH = documented('publish', {
  tag: 'events',
  summary: 'Publishes one event, or `{ events: [...] }` atomically in one round trip',
  description:
    'An event with `deliverAt` in the future is scheduled instead: it enters the log when due, and its answer says `scheduled: true`.',
  body: z.union([EventBody, BatchBody]),
  responses: { 201: { description: 'published (or scheduled)', schema: PublishResponse } },
  errors: [409, 413],
});

/** One event, or `{ events: [...] }` published atomically in one round trip. */
export function publishRoutes(app: FastifyInstance, millrace: Millrace): void {
  app.post(
    '/v1/events',
    PUBLISH,
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
