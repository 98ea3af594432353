import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import type { Millrace } from '../../millrace.js';
import { parseRequest } from '../wire/parse.js';
import { PruneBody, PruneResponse, pruneJson } from '../wire/prune.js';
import { documented } from '../openapi/route-doc.js';

const PRUNE = documented('admin', {
  tag: 'retention',
  summary: 'Deletes old events now, never past a consumer that has not handled them unless `force`',
  body: PruneBody,
  responses: {
    200: {
      description: 'what was deleted, and which consumers held it back',
      schema: PruneResponse,
    },
  },
});

/** Prunes old events now; never past a consumer's position unless `force`. */
export function pruneRoutes(app: FastifyInstance, millrace: Millrace): void {
  app.post('/v1/prune', PRUNE, async (request): Promise<z.input<typeof PruneResponse>> => {
    const body = parseRequest(PruneBody, request.body ?? {}, 'body');
    return pruneJson(await millrace.prune(body));
  });
}
