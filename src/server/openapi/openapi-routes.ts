/**
 * Collects every route's doc as it is added (refusing a route without one),
 * and serves the document at `/v1/openapi.json` and a page to read it at
 * `/v1/docs`. Both need no key: they describe the API, not its data.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { packageVersion } from '../../version.js';
import { DOCS_PAGE, DOCS_PAGE_CSP } from './docs-page.js';
import { buildOpenApi } from './openapi.js';
import { documented, type DocumentedRoute } from './route-doc.js';

/** Records each route's doc; call before any route is added. */
export function collectRouteDocs(app: FastifyInstance): DocumentedRoute[] {
  const routes: DocumentedRoute[] = [];
  app.addHook('onRoute', (route) => {
    // fastify adds a HEAD for every GET; the document lists the GET.
    if (route.method === 'HEAD') return;
    const { doc, access } = route.config ?? {};
    if (doc === undefined) {
      throw new Error(`route ${route.method.toString()} ${route.url} has no doc`);
    }
    for (const method of [route.method].flat()) {
      routes.push({ method, url: route.url, public: access === 'public', doc });
    }
  });
  return routes;
}

const DOCUMENT = documented('public', {
  tag: 'server',
  summary: 'This API as an OpenAPI 3.1 document',
  responses: { 200: { description: 'the document', schema: z.record(z.string(), z.unknown()) } },
});

const PAGE = documented('public', {
  tag: 'server',
  summary: 'This API as a page to read',
  responses: { 200: { description: 'an HTML page' } },
});

export function openApiRoutes(app: FastifyInstance, routes: readonly DocumentedRoute[]): void {
  let document: Record<string, unknown> | undefined;
  app.get('/v1/openapi.json', DOCUMENT, () => {
    // Built once every route is in, on first asking.
    document ??= buildOpenApi(routes, packageVersion());
    return document;
  });
  app.get('/v1/docs', PAGE, (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', DOCS_PAGE_CSP)
      .send(DOCS_PAGE),
  );
}
