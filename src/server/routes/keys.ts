import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import type { KeyScope } from '../../core/contracts/keys.js';
import type { Millrace } from '../../millrace.js';
import type { KeyGate } from '../auth.js';
import {
  CreateKeyBody,
  KeyParams,
  createdKeyJson,
  keyJson,
  type CreatedKeyJson,
  type KeysResponse,
  type RevokeKeyResponse,
} from '../wire/keys.js';
import { parseRequest } from '../wire/parse.js';

/** API keys: make one (its text is answered once), list them, revoke one. Admin only. */
export function keyRoutes(app: FastifyInstance, millrace: Millrace, gate: KeyGate): void {
  const admin = { config: { access: 'admin' as const } };
  app.post('/v1/keys', admin, async (request, reply): Promise<z.input<typeof CreatedKeyJson>> => {
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

  app.get('/v1/keys', admin, async (): Promise<z.input<typeof KeysResponse>> => ({
    keys: (await millrace.keys.list()).map(keyJson),
  }));

  app.delete('/v1/keys/:id', admin, async (request): Promise<z.input<typeof RevokeKeyResponse>> => {
    const { id } = parseRequest(KeyParams, request.params, 'params');
    await millrace.keys.revoke(id);
    gate.forget();
    return { revoked: id };
  });
}
