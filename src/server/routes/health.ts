import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import type { Millrace } from '../../millrace.js';
import { HealthResponse } from '../wire/responses.js';
import { documented } from '../openapi/route-doc.js';

const HEALTH = documented('public', {
  tag: 'server',
  summary: 'Whether the server is up, and its provider; needs no key',
  responses: { 200: { description: 'up', schema: HealthResponse } },
});

export function healthRoutes(app: FastifyInstance, millrace: Millrace): void {
  app.get('/v1/health', HEALTH, (): z.input<typeof HealthResponse> => ({
    status: 'ok',
    provider: millrace.providerKind,
  }));
}
