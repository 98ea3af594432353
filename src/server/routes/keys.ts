import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import type { KeyScope } from '../../core/contracts/keys.js';
import type { Millrace } from '../../millrace.js';
import type { KeyGate } from '../auth.js';
import {
  CreateKeyBody,
  KeyParams,
  CreatedKeyJson,
  KeysResponse,
  RevokeKeyResponse,
  createdKeyJson,
  keyJson,
} from '../wire/keys.js';
import { documented } from '../openapi/route-doc.js';
import { parseRequest } from '../wire/parse.js';

const CREATE = documented('admin', {
  tag: 'keys',
  summary: "Makes an API key; the answer holds the key's text, this once (only its hash is stored)",
  body: CreateKeyBody,
  responses: { 201: { description: 'the new key', schema: CreatedKeyJson } },
});

const LIST = documented('admin', {
  tag: 'keys',
  summary: 'Every API key, revoked ones included; never their secrets',
  responses: { 200: { description: 'the keys', schema: KeysResponse } },
});

const REVOKE = documented('admin', {
  tag: 'keys',
  summary: 'Revokes a key: refused from now on by every server (within a second)',
  params: KeyParams,
  responses: { 200: { description: 'revoked', schema: RevokeKeyResponse } },
  errors: [404],
});

/** API keys: make one (its text is answered once), list them, revoke one. Admin only. */
export function keyRoutes(app: FastifyInstance, millrace: Millrace, gate: KeyGate): void {
  app.post('/v1/keys', CREATE, async (request, reply): Promise<z.input<typeof CreatedKeyJson>> => {
    const body = parseRequest(CreateKeyBody, request.body ?? {}, 'body');
    const created = await millrace.keys.create({
      name: body.name,
      // Checked by the core, with the library's reason for a wrong one.
      scopes: body.scopes as KeyScope[],
    });
    gate.forget();
    void reply.code(201).header('cache-control', 'no-store');
    return createdKeyJson(created);
  });

  app.get('/v1/keys', LIST, async (): Promise<z.input<typeof KeysResponse>> => ({
    keys: (await millrace.keys.list()).map(keyJson),
  }));

  app.delete(
    '/v1/keys/:id',
    REVOKE,
    async (request): Promise<z.input<typeof RevokeKeyResponse>> => {
      const { id } = parseRequest(KeyParams, request.params, 'params');
      await millrace.keys.revoke(id);
      gate.forget();
      return { revoked: id };
    },
  );
}
