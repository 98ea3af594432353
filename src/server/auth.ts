/**
 * Who may call what. Every route names its access in its config: `public`
 * (health) or the key scope it needs; a route without one is refused when it
 * is added, so none is ever left open by omission.
 *
 * While no API key is in force, a server answers without keys, and only on
 * loopback (`millrace start` refuses another address; a server a library user
 * binds elsewhere answers 401). Once a key exists, every non-public route
 * needs `Authorization: Bearer <key>` with its scope (`admin` has them all).
 * The check runs before the body is read, except on the work queue's routes
 * when their key comes in the body instead. Keys are looked up in the provider,
 * so every server over it agrees; an answer is kept for a second, so a
 * revoked key stops working on every server within a second (at once on the
 * one that revoked it).
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiKeyRecord } from '../core/contracts/keys.js';
import { ForbiddenError, UnauthorizedError } from '../core/errors.js';
import { keyAllows, type ApiKeys } from '../core/keys/api-keys.js';
import { isLoopbackAddress } from './hosts.js';
import type { Access, RouteDoc } from './openapi/route-doc.js';

export type { Access } from './openapi/route-doc.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
    doc?: RouteDoc;
    /**
     * A body field that may carry the key instead of the header (the work
     * queue's `serviceToken`); checked once the body is read.
     */
    keyField?: string;
  }
  interface FastifyRequest {
    /** The key the request was made with, when keys are in force. */
    apiKey?: ApiKeyRecord;
  }
}

const CACHE_MS = 1000;
/** Keys remembered at most; a flood of distinct valid keys only costs lookups. */
const CACHE_SIZE = 1000;
const BEARER = /^Bearer +(\S+) *$/i;
const CHALLENGE = 'Bearer realm="millrace"';

const CREATE_KEY = 'npx millrace keys create --name <name> --scope admin';

interface Cached<T> {
  readonly value: T;
  readonly until: number;
}

/** Key checks with a short memory, so a busy worker's calls are not a query each. */
export class KeyGate {
  private active: Cached<boolean> | undefined;
  private readonly verified = new Map<string, Cached<ApiKeyRecord>>();

  constructor(private readonly keys: ApiKeys) {}

  async anyActive(): Promise<boolean> {
    const now = Date.now();
    if (this.active !== undefined && this.active.until > now) return this.active.value;
    const value = await this.keys.anyActive();
    this.active = { value, until: now + CACHE_MS };
    return value;
  }

  async verify(presented: string): Promise<ApiKeyRecord | undefined> {
    const now = Date.now();
    const cached = this.verified.get(presented);
    if (cached !== undefined && cached.until > now) return cached.value;
    const value = await this.keys.verify(presented);
    if (this.verified.size >= CACHE_SIZE) this.verified.clear();
    // Only keys that exist are remembered: guesses cannot fill the memory.
    if (value !== undefined) this.verified.set(presented, { value, until: now + CACHE_MS });
    return value;
  }

  /** Keys changed here: forget what was remembered (other servers forget within CACHE_MS). */
  forget(): void {
    this.active = undefined;
    this.verified.clear();
  }
}

function unauthorized(reply: FastifyReply, reason: string, message: string): UnauthorizedError {
  void reply.header('www-authenticate', CHALLENGE);
  return new UnauthorizedError(message, { reason });
}

/** Checks a presented key against the route's access; the key, when it may. */
async function checkKey(
  gate: KeyGate,
  reply: FastifyReply,
  token: string,
  access: Exclude<Access, 'public'>,
): Promise<ApiKeyRecord> {
  const key = await gate.verify(token);
  if (key === undefined) {
    throw unauthorized(reply, 'invalid_key', 'this API key is not valid, or it was revoked');
  }
  if (!keyAllows(key, access)) {
    throw new ForbiddenError(
      `key ${key.id} (${key.name}) has scopes ${key.scopes.join(', ')}; this route needs ${access}`,
      { reason: 'missing_scope', details: { key: key.id, needs: access, scopes: [...key.scopes] } },
    );
  }
  return key;
}

/** Whether the request needs a key at all: none while no key is in force (loopback only then). */
async function keysInForce(
  gate: KeyGate,
  reply: FastifyReply,
  bound: AddressInfo | string | null,
): Promise<boolean> {
  if (await gate.anyActive()) return true;
  if (bound === null || typeof bound !== 'object' || isLoopbackAddress(bound.address)) return false;
  throw unauthorized(
    reply,
    'no_keys',
    `this server has no API keys and so answers only on loopback; create one with \`${CREATE_KEY}\``,
  );
}

async function authorize(
  gate: KeyGate,
  request: FastifyRequest,
  reply: FastifyReply,
  bound: AddressInfo | string | null,
): Promise<void> {
  const { access, keyField } = request.routeOptions.config;
  // No route matched (a 404 or 405 follows) or a public one.
  if (access === undefined || access === 'public') return;
  if (!(await keysInForce(gate, reply, bound))) return;
  const header = request.headers.authorization;
  // The key may come in the body instead: checked once it is read (authorizeBody).
  if (header === undefined && keyField !== undefined) return;
  if (header === undefined) {
    throw unauthorized(reply, 'missing_key', 'send an API key as `Authorization: Bearer <key>`');
  }
  const token = BEARER.exec(header)?.[1];
  if (token === undefined) {
    throw unauthorized(
      reply,
      'invalid_authorization',
      'the Authorization header must be `Bearer <key>`',
    );
  }
  request.apiKey = await checkKey(gate, reply, token, access);
}

/** A route whose key may come in a body field, and came without the header. */
async function authorizeBody(
  gate: KeyGate,
  request: FastifyRequest,
  reply: FastifyReply,
  bound: AddressInfo | string | null,
): Promise<void> {
  const { access, keyField } = request.routeOptions.config;
  if (keyField === undefined || access === undefined || access === 'public') return;
  if (request.apiKey !== undefined || !(await keysInForce(gate, reply, bound))) return;
  const body = request.body as Record<string, unknown> | undefined;
  const token = body?.[keyField];
  if (typeof token !== 'string') {
    throw unauthorized(
      reply,
      'missing_key',
      `send an API key as \`Authorization: Bearer <key>\` or in the body's ${keyField}`,
    );
  }
  request.apiKey = await checkKey(gate, reply, token, access);
}

/** Guards every route of `app` by its access; refuses to add a route that names none. */
export function guardRoutes(app: FastifyInstance, gate: KeyGate): void {
  app.addHook('onRoute', (route) => {
    if (route.config?.access === undefined) {
      throw new Error(`route ${route.method.toString()} ${route.url} names no access`);
    }
  });
  app.addHook('onRequest', (request, reply) =>
    authorize(gate, request, reply, app.server.address()),
  );
  app.addHook('preValidation', (request, reply) =>
    authorizeBody(gate, request, reply, app.server.address()),
  );
}
