import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import type { Millrace } from '../../millrace.js';
import type { EventWaiter } from '../event-waiter.js';
import type { JsonReadPage } from '../read-budget.js';
import { ReadQuery } from '../wire/requests.js';
import { parseRequest } from '../wire/parse.js';
import type { EndResponse } from '../wire/responses.js';

export interface ReadRouteDeps {
  readonly millrace: Millrace;
  /** Reads pages cut to the server's byte budget, already as JSON. */
  readonly waiter: EventWaiter<JsonReadPage>;
  /** Aborted when the server closes, so long polls end instead of holding it open. */
  readonly closing: AbortSignal;
}

export function readRoutes(app: FastifyInstance, deps: ReadRouteDeps): void {
  const read = { config: { access: 'read' as const } };
  // The answer is a ReadResponse, written as text: its events were serialised to measure them.
  app.get('/v1/events', read, async (request, reply) => {
    const { waitMs, ...options } = parseRequest(ReadQuery, request.query, 'query');
    const gone = new AbortController();
    reply.raw.once('close', () => gone.abort());
    const signal = AbortSignal.any([gone.signal, deps.closing]);
    const page = await deps.waiter.read(options, waitMs, signal);
    return reply.type('application/json; charset=utf-8').send(page.body);
  });

  app.get('/v1/end', read, async (): Promise<z.input<typeof EndResponse>> => ({
    position: await deps.millrace.end(),
  }));
}
