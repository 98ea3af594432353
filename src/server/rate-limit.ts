/**
 * Requests per API key (or per client address while no key is in force) and
 * window, on each server, by @fastify/rate-limit; one more is answered 429
 * with `Retry-After`. Its check runs after the key check (a route's own
 * hooks follow the server's), so a key is counted by its id.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import { OverloadedError } from '../core/errors.js';

export function limitRequests(
  app: FastifyInstance,
  limit: { readonly max: number; readonly windowMs: number } | false,
): void {
  if (limit === false) return;
  void app.register(rateLimit, {
    max: limit.max,
    timeWindow: limit.windowMs,
    keyGenerator: (request) => (request.apiKey ? `key:${request.apiKey.id}` : request.ip),
    errorResponseBuilder: (request, context) =>
      new OverloadedError(
        `more than ${context.max} requests in ${limit.windowMs / 1000} s from this ${request.apiKey ? 'API key' : 'address'}; try again in ${context.after}`,
        context.ttl,
        { reason: 'rate_limited', details: { max: context.max, windowMs: limit.windowMs } },
      ),
  });
}
