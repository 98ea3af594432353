import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import type { Millrace } from '../../millrace.js';
import type { EventWaiter } from '../event-waiter.js';
import { ReadQuery } from '../wire/requests.js';
import { parseRequest } from '../wire/parse.js';
import { readJson, type EndResponse, type ReadResponse } from '../wire/responses.js';

export interface ReadRouteDeps {
  readonly millrace: Millrace;
  readonly waiter: EventWaiter;
  /** Aborted when the server closes, so long polls end instead of holding it open. */
  readonly closing: AbortSignal;
}

export function readRoutes(app: FastifyInstance, deps: ReadRouteDeps): void {
  app.get('/v1/events', async (request, reply): Promise<z.input<typeof ReadResponse>> => {
    const { waitMs, ...options } = parseRequest(ReadQuery, request.query, 'query');
    const gone = new AbortController();
    reply.raw.once('close', () => gone.abort());
    const signal = AbortSignal.any([gone.signal, deps.closing]);
    return readJson(await deps.waiter.read(options, waitMs, signal));
  });

  app.get('/v1/end', async (): Promise<z.input<typeof EndResponse>> => ({
    position: await deps.millrace.end(),
  }));
}
