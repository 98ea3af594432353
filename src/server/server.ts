/**
 * The HTTP server: publish, read (with long polling), inspect consumers and
 * bridges, host members for workers over HTTP, manage API keys; every route
 * guarded by its access (auth.ts).
 * JSON everywhere; positions travel as decimal strings. Every refusal, the
 * router's and node's included, is a 4xx in the one error shape.
 */
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { guardRoutes, KeyGate } from './auth.js';
import { errorReply, hostRefusedReply, routeMissReply } from './errors.js';
import { EventWaiter } from './event-waiter.js';
import { HostGuard } from './hosts.js';
import { parseJsonBody } from './json-body.js';
import { resolveServerOptions, type ServerOptions } from './options.js';
import { readBudget, readEvents } from './read-budget.js';
import { RouteMethods } from './route-methods.js';
import { bridgeRoutes } from './routes/bridges.js';
import { consumerRoutes } from './routes/consumers.js';
import { deadLetterRoutes } from './routes/dead-letters.js';
import { healthRoutes } from './routes/health.js';
import { keyRoutes } from './routes/keys.js';
import { MemberDesk } from './gateway/member-desk.js';
import { routeMemberCalls } from './gateway/member-calls.js';
import { listeningUrl } from './gateway/listening-url.js';
import { PeerForwarder } from './gateway/peer-forwarder.js';
import { memberRoutes } from './routes/members.js';
import { workQueueRoutes } from './routes/work-queue.js';
import { LongPollCap } from './long-polls.js';
import { limitRequests } from './rate-limit.js';
import { collectRouteDocs, openApiRoutes } from './openapi/openapi-routes.js';
import { pruneRoutes } from './routes/prune.js';
import { publishRoutes } from './routes/publish.js';
import { readRoutes } from './routes/read.js';
import { scheduledRoutes } from './routes/scheduled.js';
import { frameworkErrorReply, handleClientError, sendErrorReply } from './transport-errors.js';

export {
  DEFAULT_BODY_LIMIT,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
  DEFAULT_MAX_READ_BYTES,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type ServerOptions,
} from './options.js';

/** Longer than any name a route takes (streams: 200 characters); fastify's default is 100. */
const MAX_PARAM_LENGTH = 256;

/** How often node looks for requests past their time: often enough for short timeouts. */
function checkingInterval(requestTimeoutMs: number): number {
  return Math.max(50, Math.min(1000, Math.floor(requestTimeoutMs / 4)));
}

export function createServer(options: ServerOptions): FastifyInstance {
  const { millrace } = options;
  const resolved = resolveServerOptions(options);
  const serverOptions = {
    requestTimeout: resolved.requestTimeoutMs,
    headersTimeout: resolved.headersTimeoutMs,
    connectionsCheckingInterval: checkingInterval(resolved.requestTimeoutMs),
  };
  // An HTTPS server is an HTTP server underneath: the same timeouts apply.
  const transport =
    options.tls === undefined
      ? { http: serverOptions }
      : { https: { ...serverOptions, cert: options.tls.cert, key: options.tls.key } };
  const app = Fastify({
    ...transport,
    loggerInstance:
      options.logger ?? pino({ name: 'millrace', level: process.env.MILLRACE_LOG_LEVEL ?? 'warn' }),
    bodyLimit: resolved.bodyLimit,
    // Two info lines per request drown the log when tails long-poll: one debug line instead.
    logController: new LogController({ disableRequestLogging: true }),
    requestTimeout: resolved.requestTimeoutMs,
    keepAliveTimeout: resolved.keepAliveTimeoutMs,
    connectionTimeout: resolved.idleTimeoutMs,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: (error, request, reply) => {
      void sendErrorReply(reply, frameworkErrorReply(error, request));
    },
    clientErrorHandler: handleClientError,
    // One type for both: the routes never see which server carries them.
  }) as unknown as FastifyInstance;
  app.addHook('onResponse', (request, reply, done) => {
    request.log.debug(
      { method: request.method, url: request.url, status: reply.statusCode, ms: reply.elapsedTime },
      'request',
    );
    done();
  });

  const hosts = new HostGuard(resolved.allowedHosts);
  // Asked of the socket once: a system call per request is measurable on the hot path.
  let bound: ReturnType<typeof app.server.address> = null;
  app.addHook('onRequest', (request, reply, done) => {
    bound ??= app.server.address();
    if (hosts.allows(request.headers.host, bound)) return done();
    void sendErrorReply(reply, hostRefusedReply(request.headers.host));
  });

  // JSON only: text bodies get a 415 rather than being read as a string.
  app.removeContentTypeParser(['text/plain', 'application/json']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    try {
      // Many clients label every call JSON: a route that takes no body takes an empty one too.
      const none = body === '' && request.routeOptions.config.doc?.body === undefined;
      done(null, none ? undefined : parseJsonBody(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  app.setErrorHandler((error, request, reply) =>
    sendErrorReply(reply, errorReply(error, request.log)),
  );
  const routes = new RouteMethods();
  app.addHook('onRoute', (route) => routes.add(route.url, route.method));
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? request.url;
    return sendErrorReply(reply, routeMissReply(request.method, path, routes.allowed(path)));
  });

  // Closing ends long polls at once; their connections must close too, or the
  // server waits out the keep-alive timeout before it can stop.
  const closing = new AbortController();
  const members = new MemberDesk(millrace, resolved.maxMembers, resolved.peerTiming, app.log);
  const peers = new PeerForwarder(members.presence.id, options.tls?.cert);
  // Once listening, the server tells its peers where to pass calls on to.
  app.addHook('onListen', async () => {
    await members.presence.begin(
      resolved.advertiseUrl ?? listeningUrl(app, options.tls !== undefined),
    );
  });
  app.addHook('preClose', (done) => {
    closing.abort();
    done();
  });
  // Hosted members end with the server: their deliveries go back, their partitions move on.
  app.addHook('onClose', async () => {
    await members.close();
    peers.close();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing.signal.aborted) void reply.header('connection', 'close');
    done(null, payload);
  });

  const gate = new KeyGate(millrace.keys);
  guardRoutes(app, gate);
  limitRequests(app, resolved.rateLimit);
  const documentedRoutes = collectRouteDocs(app);

  const budget = readBudget(resolved.maxReadBytes, millrace.maxEventBytes);
  const waiter = new EventWaiter(millrace, (read) => readEvents(millrace, read, budget));
  const longPolls = new LongPollCap(resolved.maxLongPolls);
  // Added once the plugins above have loaded, so their route hooks (the rate limit's) reach every route.
  void app.register((api, _options, done) => {
    healthRoutes(api, millrace);
    publishRoutes(api, millrace);
    readRoutes(api, { millrace, waiter, closing: closing.signal, longPolls });
    consumerRoutes(api, millrace);
    bridgeRoutes(api, millrace);
    deadLetterRoutes(api, millrace, budget);
    pruneRoutes(api, millrace);
    scheduledRoutes(api, millrace, budget);
    keyRoutes(api, millrace, gate);
    routeMemberCalls(api, members, peers);
    memberRoutes(api, { desk: members, longPolls });
    workQueueRoutes(api, millrace, members);
    openApiRoutes(api, documentedRoutes);
    done();
  });
  return app;
}
