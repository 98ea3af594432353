/**
 * What each route says about itself, beside its handler: the same zod
 * schemas that check its input and that the CLI's client parses its answers
 * with. The OpenAPI document is built from these alone (openapi.ts), so the
 * document, the validation and the types cannot drift apart.
 */
import type { z } from 'zod';
import type { KeyScope } from '../../core/contracts/keys.js';

/** Who may call a route: anyone, or a key with this scope (see auth.ts). */
export type Access = KeyScope | 'public';

export interface ResponseDoc {
  readonly description: string;
  /** JSON body; absent for an answer with none. */
  readonly schema?: z.ZodType;
}

export interface RouteDoc {
  readonly summary: string;
  readonly description?: string;
  /** Groups operations in the document and the docs page. */
  readonly tag: string;
  readonly params?: z.ZodType;
  readonly query?: z.ZodType;
  readonly body?: z.ZodType;
  /** Success answers by status; the error answers are added from the route's access and inputs. */
  readonly responses: Readonly<Record<number, ResponseDoc>>;
  /** Further error answers the route gives besides the common ones (404 for a named thing, 409, 413). */
  readonly errors?: readonly number[];
}

/** A documented route, as collected when it is added. */
export interface DocumentedRoute {
  readonly method: string;
  /** As fastify writes it: `/v1/consumers/:name`. */
  readonly url: string;
  readonly public: boolean;
  readonly doc: RouteDoc;
}

/** A route's options: its access and its doc, which every route must give. */
export function documented(
  access: Access,
  doc: RouteDoc,
): { config: { access: Access; doc: RouteDoc } } {
  return { config: { access, doc } };
}
