import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import type { Millrace } from '../../millrace.js';
import type { HealthResponse } from '../wire/responses.js';

export function healthRoutes(app: FastifyInstance, millrace: Millrace): void {
  app.get('/v1/health', { config: { access: 'public' } }, (): z.input<typeof HealthResponse> => ({
    status: 'ok',
    provider: millrace.provider.kind,
  }));
}
