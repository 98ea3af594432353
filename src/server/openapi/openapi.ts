/**
 * The OpenAPI 3.1 document, built from the routes' own docs (route-doc.ts).
 * JSON Schema 2020-12 is OpenAPI 3.1's own dialect, so zod's JSON Schema
 * goes in as it is. Schemas describe the JSON on the wire (zod's input side).
 */
import { z } from 'zod';
import { ErrorResponse } from '../wire/responses.js';
import type { DocumentedRoute, RouteDoc } from './route-doc.js';

type JsonSchema = Record<string, unknown>;

const ERROR_TEXT: Record<number, string> = {
  400: 'bad input: `error.reason` says which (see docs/http.md)',
  401: 'no API key, or one that is not (or no longer) valid',
  403: 'the API key lacks the scope this route needs',
  404: 'no such thing',
  409: 'a conflict (a lost optimistic-concurrency race)',
  413: 'the body, or an event in it, is too large',
  429: 'too many requests from this key or address: `Retry-After` says when to try again',
  503: 'the provider is unreachable or closed, or too many long polls wait (retriable; `Retry-After` when it says)',
};

function jsonSchema(schema: z.ZodType): JsonSchema {
  const converted = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  // The document names the dialect once, for every schema in it.
  delete converted.$schema;
  return converted;
}

/** `/v1/consumers/:name` → `/v1/consumers/{name}`. */
export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function parameters(doc: RouteDoc): JsonSchema[] {
  const list: JsonSchema[] = [];
  for (const [where, schema] of [
    ['path', doc.params],
    ['query', doc.query],
  ] as const) {
    if (schema === undefined) continue;
    const object = jsonSchema(schema);
    const properties = (object.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set((object.required ?? []) as string[]);
    for (const [name, property] of Object.entries(properties)) {
      list.push({
        name,
        in: where,
        required: where === 'path' || required.has(name),
        schema: property,
      });
    }
  }
  return list;
}

function errorStatuses(route: DocumentedRoute): number[] {
  const { doc } = route;
  // Any route may be rate limited, and may find its provider gone.
  const statuses = new Set<number>([...(doc.errors ?? []), 429, 503]);
  if (doc.params !== undefined || doc.query !== undefined || doc.body !== undefined)
    statuses.add(400);
  if (!route.public) {
    statuses.add(401);
    statuses.add(403);
  }
  return [...statuses].sort((a, b) => a - b);
}

function operation(route: DocumentedRoute): JsonSchema {
  const { doc } = route;
  const responses: Record<string, JsonSchema> = {};
  for (const [status, response] of Object.entries(doc.responses)) {
    responses[status] = {
      description: response.description,
      ...(response.schema === undefined
        ? {}
        : { content: { 'application/json': { schema: jsonSchema(response.schema) } } }),
    };
  }
  for (const status of errorStatuses(route)) {
    responses[String(status)] = {
      description: ERROR_TEXT[status] ?? 'an error',
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
  }
  const params = parameters(doc);
  return {
    operationId: `${route.method.toLowerCase()}${openApiPath(route.url)
      .replace(/^\/v1/, '')
      .replace(/[{}]/g, '')
      .replace(/[/:-]+(.)/g, (_m, c: string) => c.toUpperCase())}`,
    summary: doc.summary,
    ...(doc.description === undefined ? {} : { description: doc.description }),
    tags: [doc.tag],
    ...(params.length === 0 ? {} : { parameters: params }),
    ...(doc.body === undefined
      ? {}
      : {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: jsonSchema(doc.body) } },
          },
        }),
    responses,
    ...(route.public ? { security: [] } : {}),
  };
}

export function buildOpenApi(routes: readonly DocumentedRoute[], version: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    const path = openApiPath(route.url);
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'millrace',
      version,
      description:
        'Durable event streams processed by competing workers: publish, read, consumers, ingress bridges, dead letters, delayed events, retention and API keys. Errors are `{ error: { code, reason, message, retriable, details? } }`.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    paths,
    components: {
      schemas: { Error: jsonSchema(ErrorResponse) },
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description:
            'An API key (`mrk_<id>_<secret>`), needed once any key exists; see `millrace keys create`',
        },
      },
    },
    security: [{ apiKey: [] }],
  };
}
