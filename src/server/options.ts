/**
 * What `createServer` accepts, each option with its default, checked once
 * when the server is made.
 */
import type { FastifyBaseLogger } from 'fastify';
import { ValidationError } from '../core/errors.js';
import type { Millrace } from '../millrace.js';
import { MAX_WAIT_MS } from './wire/requests.js';
import { DEFAULT_PRESENCE_TIMING, type PresenceTiming } from './gateway/server-presence.js';

export interface ServerOptions {
  millrace: Millrace;
  /** A pino logger. @defaultValue pino at `MILLRACE_LOG_LEVEL` (default `warn`) */
  logger?: FastifyBaseLogger;
  /**
   * The largest request body; single events are also held to the instance's
   * `maxEventBytes`. @defaultValue 16 MiB
   */
  bodyLimit?: number;
  /**
   * Bytes of events (or dead letters, or scheduled events) one read answers
   * with: the answer stops at the first one past it and its `next` says where
   * to go on. The first always comes, however large. @defaultValue 4 MiB
   */
  maxReadBytes?: number;
  /**
   * A request's headers and body must arrive within this time, or it is
   * answered 408 and its connection closed; headers alone get ten seconds at
   * most. Long polls are not cut: the time counts only until the request is in.
   * @defaultValue 30000
   */
  requestTimeoutMs?: number;
  /** A kept-alive connection with no request for this long is closed. @defaultValue 5000 */
  keepAliveTimeoutMs?: number;
  /**
   * A connection on which nothing moves for this long is closed, whatever it
   * was doing; more than the longest long poll (30 s), which sends nothing
   * while it waits. @defaultValue 60000
   */
  idleTimeoutMs?: number;
  /**
   * Host names (without port) this server answers to. A server bound to a
   * loopback address answers only `localhost`, `127.x.x.x` and `[::1]`
   * besides these, so a web page whose name was rebound to 127.0.0.1 cannot
   * reach it; a server bound elsewhere answers any Host unless this is given.
   * Other Hosts get 421. @defaultValue none
   */
  allowedHosts?: readonly string[];
  /**
   * Long polls (reads with `wait`) waiting at once; one more is answered 503
   * with `Retry-After`, so waiting clients cannot hold every connection and
   * all the memory. @defaultValue 1000
   */
  maxLongPolls?: number;
  /**
   * Members this server hosts for workers over HTTP at once; one more start
   * is answered 503 with `Retry-After`. @defaultValue 1000
   */
  maxMembers?: number;
  /**
   * Requests each API key (or, with no keys, each client address) may make
   * per window, per server; one more is answered 429 with `Retry-After`.
   * `false` turns the limit off. @defaultValue 600,000 a minute (10,000/s)
   */
  rateLimit?: { readonly max: number; readonly windowMs: number } | false;
  /**
   * Where the other servers over the same database reach this one, to pass
   * on calls for the members it hosts: this server's own address, not a
   * balancer's. @defaultValue the address it listens on (a wildcard address
   * becomes the machine's host name)
   */
  advertiseUrl?: string;
  /**
   * How servers sharing members watch each other: each announces itself
   * every `heartbeatMs`, serves its members within `leaseMs` of its last
   * announcement, and the others take its members over once it has been
   * silent `deadAfterMs`. @defaultValue 2000, 8000, 10000
   */
  peerTiming?: Partial<PresenceTiming>;
  /** Serve HTTPS with this PEM certificate (chain) and key. @defaultValue plain HTTP */
  tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
}

export const DEFAULT_MAX_LONG_POLLS = 1000;
const DEFAULT_MAX_MEMBERS = 1000;
export const DEFAULT_RATE_LIMIT = { max: 600_000, windowMs: 60_000 } as const;

export const DEFAULT_BODY_LIMIT = 16 * 1024 * 1024;
export const DEFAULT_MAX_READ_BYTES = 4 * 1024 * 1024;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 5_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;
/** The most time a request's headers get, however long its body may take. */
const MAX_HEADERS_TIMEOUT_MS = 10_000;

export interface ResolvedServerOptions {
  readonly bodyLimit: number;
  readonly maxReadBytes: number;
  readonly requestTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly allowedHosts: readonly string[];
  readonly maxLongPolls: number;
  readonly maxMembers: number;
  readonly rateLimit: { readonly max: number; readonly windowMs: number } | false;
  readonly advertiseUrl: string | undefined;
  readonly peerTiming: PresenceTiming;
}

function positive(
  name: string,
  value: number | undefined,
  fallback: number,
  min = 1,
  why = '',
): number {
  const resolved = value ?? fallback;
  if (!Number.isSafeInteger(resolved) || resolved < min) {
    throw new ValidationError(`server option ${name} must be a whole number >= ${min}${why}`, {
      reason: 'invalid_option',
      details: { option: name },
    });
  }
  return resolved;
}

const HOST_NAME = /^(?:\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?)$/;

function hostNames(hosts: readonly string[] | undefined): string[] {
  return (hosts ?? []).map((host) => {
    const name = typeof host === 'string' ? host.trim().toLowerCase().replace(/\.$/, '') : '';
    if (!HOST_NAME.test(name)) {
      throw new ValidationError(
        'server option allowedHosts takes host names such as example.com or [::1], without scheme or port',
        { reason: 'invalid_option', details: { option: 'allowedHosts' } },
      );
    }
    return name;
  });
}

export function resolveServerOptions(options: ServerOptions): ResolvedServerOptions {
  const requestTimeoutMs = positive(
    'requestTimeoutMs',
    options.requestTimeoutMs,
    DEFAULT_REQUEST_TIMEOUT_MS,
  );
  const idleTimeoutMs = positive(
    'idleTimeoutMs',
    options.idleTimeoutMs,
    DEFAULT_IDLE_TIMEOUT_MS,
    MAX_WAIT_MS + 1000,
    `: longer than the longest long poll (${MAX_WAIT_MS} ms), which sends nothing while it waits`,
  );
  return {
    bodyLimit: positive('bodyLimit', options.bodyLimit, DEFAULT_BODY_LIMIT),
    maxReadBytes: positive('maxReadBytes', options.maxReadBytes, DEFAULT_MAX_READ_BYTES),
    requestTimeoutMs,
    headersTimeoutMs: Math.min(requestTimeoutMs, MAX_HEADERS_TIMEOUT_MS),
    keepAliveTimeoutMs: positive(
      'keepAliveTimeoutMs',
      options.keepAliveTimeoutMs,
      DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
    ),
    idleTimeoutMs,
    allowedHosts: hostNames(options.allowedHosts),
    maxLongPolls: positive('maxLongPolls', options.maxLongPolls, DEFAULT_MAX_LONG_POLLS),
    maxMembers: positive('maxMembers', options.maxMembers, DEFAULT_MAX_MEMBERS),
    advertiseUrl: advertiseUrl(options.advertiseUrl),
    peerTiming: peerTiming(options.peerTiming),
    rateLimit:
      options.rateLimit === false
        ? false
        : {
            max: positive('rateLimit.max', options.rateLimit?.max, DEFAULT_RATE_LIMIT.max),
            windowMs: positive(
              'rateLimit.windowMs',
              options.rateLimit?.windowMs,
              DEFAULT_RATE_LIMIT.windowMs,
            ),
          },
  };
}

function advertiseUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  if (
    parsed === undefined ||
    !['http:', 'https:'].includes(parsed.protocol) ||
    parsed.pathname !== '/'
  ) {
    throw new ValidationError(
      `server option advertiseUrl must be an http(s) URL with no path, such as http://10.0.0.5:7700, got ${JSON.stringify(url)}`,
      { reason: 'invalid_option', details: { option: 'advertiseUrl' } },
    );
  }
  return parsed.origin;
}

function peerTiming(timing: Partial<PresenceTiming> | undefined): PresenceTiming {
  const heartbeatMs = positive(
    'peerTiming.heartbeatMs',
    timing?.heartbeatMs,
    DEFAULT_PRESENCE_TIMING.heartbeatMs,
    100,
  );
  const leaseMs = positive(
    'peerTiming.leaseMs',
    timing?.leaseMs,
    DEFAULT_PRESENCE_TIMING.leaseMs,
    heartbeatMs * 2,
    ': at least two heartbeats',
  );
  const deadAfterMs = positive(
    'peerTiming.deadAfterMs',
    timing?.deadAfterMs,
    DEFAULT_PRESENCE_TIMING.deadAfterMs,
    leaseMs + 1000,
    ': a second beyond the lease at least',
  );
  return { heartbeatMs, leaseMs, deadAfterMs };
}
