import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import type { Millrace } from '../../millrace.js';
import type { EventWaiter } from '../event-waiter.js';
import type { LongPollCap } from '../long-polls.js';
import type { JsonReadPage } from '../read-budget.js';
import { ReadQuery } from '../wire/requests.js';
import { parseRequest } from '../wire/parse.js';
import { EndResponse, ReadResponse } from '../wire/responses.js';
import { documented } from '../openapi/route-doc.js';

export interface ReadRouteDeps {
  readonly millrace: Millrace;
  /** Reads pages cut to the server's byte budget, already as JSON. */
  readonly waiter: EventWaiter<JsonReadPage>;
  /** Aborted when the server closes, so long polls end instead of holding it open. */
  readonly closing: AbortSignal;
  readonly longPolls: LongPollCap;
}

const READ = documented('read', {
  tag: 'events',
  summary: 'Reads events in log order after a position; with `wait`, long-polls until some arrive',
  description:
    'At most `limit` events and at most the read byte budget (4 MiB by default), at least one; `next` is the `after` of the following page.',
  query: ReadQuery,
  responses: { 200: { description: 'a page of events', schema: ReadResponse } },
});

const END = documented('read', {
  tag: 'events',
  summary: 'The position after the last event: where a reader that wants only new events starts',
  responses: { 200: { description: 'the end', schema: EndResponse } },
});

export function readRoutes(app: FastifyInstance, deps: ReadRouteDeps): void {
  // The answer is a ReadResponse, written as text: its events were serialised to measure them.
  app.get('/v1/events', READ, async (request, reply) => {
    const { waitMs, ...options } = parseRequest(ReadQuery, request.query, 'query');
    const gone = new AbortController();
    reply.raw.once('close', () => gone.abort());
    const signal = AbortSignal.any([gone.signal, deps.closing]);
    const read = () => deps.waiter.read(options, waitMs, signal);
    const page = waitMs > 0 ? await deps.longPolls.run(read) : await read();
    return reply.type('application/json; charset=utf-8').send(page.body);
  });

  app.get('/v1/end', END, async (): Promise<z.input<typeof EndResponse>> => ({
    position: await deps.millrace.end(),
  }));
}
