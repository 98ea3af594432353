/**
 * The methods each route path answers, so a request with the wrong method
 * gets 405 and an `Allow` header instead of a 404 that says the path is not
 * there. Collected from fastify's `onRoute` hook as routes are added
 * (the HEAD routes fastify adds for GET included).
 */
interface RoutePath {
  readonly pattern: RegExp;
  readonly methods: Set<string>;
}

/** `/v1/consumers/:name/reset` → a regex matching one path segment per parameter. */
function patternOf(url: string): RegExp {
  const segments = url
    .split('/')
    .map((segment) =>
      segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    );
  return new RegExp(`^${segments.join('/')}$`);
}

export class RouteMethods {
  private readonly paths = new Map<string, RoutePath>();

  add(url: string, method: string | readonly string[]): void {
    const path = this.paths.get(url) ?? { pattern: patternOf(url), methods: new Set<string>() };
    for (const each of typeof method === 'string' ? [method] : method) path.methods.add(each);
    this.paths.set(url, path);
  }

  /** The methods of every route whose path matches `path` (no query), sorted; empty if none. */
  allowed(path: string): string[] {
    const methods = new Set<string>();
    for (const route of this.paths.values()) {
      if (route.pattern.test(path)) route.methods.forEach((method) => methods.add(method));
    }
    return [...methods].sort();
  }
}
