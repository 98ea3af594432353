/**
 * The HTTP server: publish, read (with long polling), inspect consumers.
 * JSON everywhere; positions travel as decimal strings.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import type { Millrace } from '../millrace.js';
import { errorReply, notFoundReply } from './errors.js';
import { EventWaiter } from './event-waiter.js';
import { consumerRoutes } from './routes/consumers.js';
import { deadLetterRoutes } from './routes/dead-letters.js';
import { healthRoutes } from './routes/health.js';
import { pruneRoutes } from './routes/prune.js';
import { publishRoutes } from './routes/publish.js';
import { readRoutes } from './routes/read.js';
import { scheduledRoutes } from './routes/scheduled.js';

export interface ServerOptions {
  millrace: Millrace;
  /** A pino logger. @defaultValue pino at `MILLRACE_LOG_LEVEL` (default `warn`) */
  logger?: FastifyBaseLogger;
  /**
   * The largest request body; single events are also held to the instance's
   * `maxEventBytes`. @defaultValue 16 MiB
   */
  bodyLimit?: number;
}

export const DEFAULT_BODY_LIMIT = 16 * 1024 * 1024;

export function createServer(options: ServerOptions): FastifyInstance {
  const { millrace } = options;
  const app = Fastify({
    loggerInstance:
      options.logger ?? pino({ name: 'millrace', level: process.env.MILLRACE_LOG_LEVEL ?? 'warn' }),
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    // Two info lines per request drown the log when tails long-poll: one debug line instead.
    logController: new LogController({ disableRequestLogging: true }),
  });
  app.addHook('onResponse', (request, reply, done) => {
    request.log.debug(
      { method: request.method, url: request.url, status: reply.statusCode, ms: reply.elapsedTime },
      'request',
    );
    done();
  });

  // JSON only: text bodies get a 415 rather than being read as a string.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler((error, request, reply) => {
    const { status, body } = errorReply(error, request.log);
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    const { status, body } = notFoundReply(request.method, request.url);
    return reply.code(status).send(body);
  });

  // Closing ends long polls at once; their connections must close too, or the
  // server waits out the keep-alive timeout before it can stop.
  const closing = new AbortController();
  app.addHook('preClose', (done) => {
    closing.abort();
    done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing.signal.aborted) void reply.header('connection', 'close');
    done(null, payload);
  });

  healthRoutes(app, millrace);
  publishRoutes(app, millrace);
  readRoutes(app, { millrace, waiter: new EventWaiter(millrace), closing: closing.signal });
  consumerRoutes(app, millrace);
  deadLetterRoutes(app, millrace);
  pruneRoutes(app, millrace);
  scheduledRoutes(app, millrace);
  return app;
}
