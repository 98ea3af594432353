import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import type { Millrace } from '../../millrace.js';
import { parseRequest } from '../wire/parse.js';
import { PruneBody, pruneJson, type PruneResponse } from '../wire/prune.js';

/** Prunes old events now; never past a consumer's position unless `force`. */
export function pruneRoutes(app: FastifyInstance, millrace: Millrace): void {
  app.post(
    '/v1/prune',
    { config: { access: 'admin' } },
    async (request): Promise<z.input<typeof PruneResponse>> => {
      const body = parseRequest(PruneBody, request.body ?? {}, 'body');
      return pruneJson(await millrace.prune(body));
    },
  );
}
