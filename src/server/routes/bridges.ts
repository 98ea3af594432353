import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { readBridgeStatus } from '../../bridge/bridge-status.js';
import type { Millrace } from '../../millrace.js';
import { documented } from '../openapi/route-doc.js';
import { BridgeJson, BridgeParams, bridgeJson } from '../wire/bridges.js';
import { parseRequest } from '../wire/parse.js';

const ONE = documented('read', {
  tag: 'bridges',
  summary: "One ingress bridge's status: its leader, term, last write and the leader's counts",
  description:
    "Read from the bridge's last checkpoint in the log, so any server answers it, whichever process leads; the counts are those of the leader's last batch.",
  params: BridgeParams,
  responses: { 200: { description: 'the bridge', schema: BridgeJson } },
  errors: [404],
});

/** Ingress bridges, as their checkpoints tell them. Scope `read`. */
export function bridgeRoutes(app: FastifyInstance, millrace: Millrace): void {
  app.get('/v1/bridges/:name', ONE, async (request): Promise<z.input<typeof BridgeJson>> => {
    const { name } = parseRequest(BridgeParams, request.params, 'params');
    return bridgeJson(await readBridgeStatus(millrace, name));
  });
}
